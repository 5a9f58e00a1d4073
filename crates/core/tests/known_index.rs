//! The known-recipient index read from a history's text in place
//! (`KnownRecipients::from_history_text`, what the add-ins use) holds exactly what parsing the
//! history first gives (`History::parse` then `KnownRecipients::from_owned_history`, what the
//! command line and the gateway use): the same contacts in the same order, the same summary,
//! the same answers to lookups. Texts are built from the pieces a history holds and the ones a
//! damaged or hand-edited store could: canonical and non-canonical addresses, internationalised
//! domains, duplicates in other spellings, names that need cleaning, bad lines, comments, and
//! lines at the edges of the shape the one-pass reader takes (`history/usual.rs`: local parts
//! and domains across words, 64 and 65 characters, numbers of eight digits or more, CRLF).

use proptest::prelude::*;
use sendguard_core::address::parse_mailbox;
use sendguard_core::history::{History, HEADER};
use sendguard_core::KnownRecipients;

/// Cases: `PROPTEST_CASES` when set (`scripts/fuzz-long`), else 64.
fn cases() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(64);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

/// An address field: mostly canonical, often another spelling of one of the same few
/// addresses (so that lines merge), sometimes not an address at all.
fn address() -> impl Strategy<Value = String> {
    let local = prop::sample::select(vec![
        "ann",
        "Ann",
        "a.b-c_d/efgh.ijk",
        "abcdefg",
        "abcdefgh.",
        "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl",
        "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklm",
        "bob.jones",
        "BOB.JONES",
        "o'brien",
        "\"a b\"",
        "a..b",
        "m\u{fc}ller",
        "x",
    ]);
    let domain = prop::sample::select(vec![
        "acme.com",
        "ACME.com",
        "acme.com.",
        "b\u{fc}cher.de",
        "xn--bcher-kva.de",
        "gmail.com",
        "mail.long-subdomain.example-company.co.uk",
        "acme.com\u{a0}",
        "localhost",
        "-bad.com",
        "",
    ]);
    (local, domain).prop_map(|(l, d)| format!("{l}@{d}"))
}

/// One line of a history text.
fn line() -> impl Strategy<Value = String> {
    let count = prop::sample::select(vec![
        "1",
        "0",
        "12",
        "007",
        "12345678",
        "4294967295",
        "-1",
        "x",
        "",
    ]);
    let day = prop::sample::select(vec!["20400", "20000", "0", "1234567", "99999999999"]);
    let name = prop::sample::select(vec![
        "",
        "\tAnn Lee",
        "Ann Lee",
        " Bob ",
        "Bob\rJones",
        "Jos\u{e9} M\u{fc}ller",
        "Smith, John",
        "Ann Lee ",
        "A",
    ]);
    let entry = (address(), count, day, name).prop_map(|(a, c, d, n)| {
        if n.is_empty() {
            format!("{a}\t{c}\t{d}")
        } else {
            format!("{a}\t{c}\t{d}\t{n}")
        }
    });
    let other = prop::sample::select(vec![
        String::new(),
        "# a comment".to_string(),
        "   ".to_string(),
        "not an address".to_string(),
        format!("a@b.com\t1\t2\t{}", "y".repeat(1100)),
        format!("a@b.com\t1\t2\t{}", "n".repeat(250)),
    ]);
    prop_oneof![8 => entry, 1 => other]
}

/// A history text: a header (sometimes none, rarely another version), lines, CRLF or LF.
fn history_text() -> impl Strategy<Value = String> {
    let header = prop::sample::select(vec![HEADER, HEADER, "", "#sendguard-history 2"]);
    (header, prop::collection::vec(line(), 0..40), any::<bool>()).prop_map(|(h, lines, crlf)| {
        let end = if crlf { "\r\n" } else { "\n" };
        let mut text = format!("{h}{end}");
        for l in lines {
            text.push_str(&l);
            text.push_str(end);
        }
        text
    })
}

/// Everything a check can ask of the index, in one comparable value.
fn answers(known: &KnownRecipients, probes: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = known.contacts().map(|c| format!("{c:?}")).collect();
    out.push(format!("{:?}", known.history_summary()));
    out.push(format!("{} {:?}", known.has_history(), known.rejected()));
    for probe in probes {
        let address = parse_mailbox(probe).unwrap().address;
        let contact = known.contact(&address).map(|c| c.display());
        let domain = address.domain.as_str();
        let neighbour = known.neighbour(&address.local.to_lowercase(), domain);
        let names = known.similar_names("John Smith", 0.8);
        out.push(format!(
            "{probe}: {contact:?} {} {:?} {:?} {:?}",
            known.knows_domain(domain),
            neighbour.map(|c| c.display()),
            names
                .iter()
                .map(|(c, s)| (c.display(), *s))
                .collect::<Vec<_>>(),
            known.same_local("ann").len(),
        ));
    }
    out
}

const PROBES: &[&str] = &[
    "ann@acme.com",
    "ANN@ACME.COM",
    "an@acme.com",
    "bob.jones@b\u{fc}cher.de",
    "bob.jone@xn--bcher-kva.de",
    "m\u{fc}ller@gmail.com",
    "nobody@nowhere.org",
];

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn reading_in_place_gives_the_parsed_history(text in history_text(), list_ann in any::<bool>()) {
        let list: Vec<&str> = if list_ann { vec!["Ann Lee <ann@acme.com>", "new@list.org", "bad"] } else { vec![] };
        let in_place = KnownRecipients::from_history_text(text.clone(), &list);
        let parsed = KnownRecipients::from_owned_history(History::parse(&text), &list);
        prop_assert_eq!(answers(&in_place, PROBES), answers(&parsed, PROBES), "{:?}", text);
    }
}

#[test]
fn a_history_read_in_place() {
    let text = "#sendguard-history 1\n\
        john.smith@lockheedmartin.com\t12\t20400\tJohn Smith\n\
        JOHN.SMITH@lockheedmartin.com\t1\t20401\t\n\
        ann@b\u{fc}cher.de\t1\t20000\t\tAnn\n\
        bad line\n";
    let known = KnownRecipients::from_history_text(text.to_string(), ["Bob <bob@acme.com>"]);
    let contacts: Vec<String> = known
        .contacts()
        .map(|c| format!("{} {} {} {}", c.display(), c.count, c.last_day, c.name))
        .collect();
    assert_eq!(
        contacts,
        [
            "john.smith@lockheedmartin.com 13 20401 John Smith",
            "bob@acme.com 1 0 Bob"
        ]
    );
    let summary = known.history_summary();
    assert_eq!(
        (summary.entries, summary.last_day, summary.rejected),
        (1, Some(20401), 2)
    );
    let jon = parse_mailbox("Jon.Smith@lockheedmartin.com")
        .unwrap()
        .address;
    assert!(!known.knows(&jon));
    let neighbour = known.neighbour("jon.smith", "lockheedmartin.com").unwrap();
    assert_eq!(neighbour.display(), "john.smith@lockheedmartin.com");
    let idn = KnownRecipients::from_history_text("ann@b\u{fc}cher.de\t1\t2\n".into(), [""; 0]);
    let ann = idn.contacts().next().unwrap();
    assert_eq!(
        (ann.domain, ann.unicode_domain),
        ("xn--bcher-kva.de", Some("b\u{fc}cher.de"))
    );
}
