"""Generates the lookalike evaluation corpus (tests/eval/*.tsv) from registry packages only.

Positives: every dnstwist fuzzer (PyPI `dnstwist`, pinned in scripts/eval-lookalikes) on each
reference of tests/eval/references.txt, plus our own TLD edits (every one-edit change of the
top-level domain: delegated ccTLDs such as `.ml` for `.mil`, and undelegated slips such as
`.con`). Negatives: real domains from npm packages (`free-email-domains`, `email-providers`,
`top-sites`, and every 8th of `disposable-email-domains`), split into those far from every
reference and the real neighbours (within two edits of a reference or produced by a fuzzer),
which are measured apart.

Run through scripts/eval-lookalikes; `python3 generate.py PACKAGES_DIR OUT_DIR`.
"""

import hashlib
import json
import os
import sys

import dnstwist
import idna

HERE = os.path.dirname(os.path.abspath(__file__))


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return [l.strip() for l in f if l.strip() and not l.startswith("#")]


def osa(a, b, limit=2):
    """Optimal string alignment distance, or limit + 1 when it is larger."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2, prev = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def to_ascii(domain):
    try:
        return idna.encode(domain, uts46=True).decode()
    except Exception:
        return None


ALPHABET = "abcdefghijklmnopqrstuvwxyz"
# Undelegated TLD slips are all alike (and all caught as invalid): a few per reference.
CAP = {"tld-edit-invalid": 12}


def tld_edits(tld):
    """Every string one edit (OSA) from `tld`, two letters or more."""
    out = set()
    for i in range(len(tld) + 1):
        for c in ALPHABET:
            out.add(tld[:i] + c + tld[i:])
    for i in range(len(tld)):
        out.add(tld[:i] + tld[i + 1:])
        for c in ALPHABET:
            out.add(tld[:i] + c + tld[i + 1:])
        if i + 1 < len(tld):
            out.add(tld[:i] + tld[i + 1] + tld[i] + tld[i + 2:])
    out.discard(tld)
    return sorted(t for t in out if len(t) >= 2)


def main(packages, out_dir):
    rows = [l.split("\t") for l in read_lines(os.path.join(HERE, "references.txt"))]
    references = [r[0] for r in rows]
    classes = [r[1] for r in rows]
    tlds = read_lines(os.path.join(HERE, "..", "..", "crates", "core", "data", "tlds.txt"))
    ref_ascii = [to_ascii(r) for r in references]
    ref_set = set(ref_ascii)
    # tld-swap: a fixed list of common TLDs (dnstwist needs one; its own lacks `.ml`).
    swap = ["com", "net", "org", "info", "biz", "co", "io", "us", "uk", "de", "fr", "ru", "eu",
            "ml", "cm", "ne", "om", "il", "gov", "mil", "edu", "int", "app", "xyz"]
    # dictionary: brand + word (combosquatting); printed, not a slip, not in the targets.
    words = ["mail", "login", "secure", "support", "account"]
    positives = {}  # ascii domain -> (fuzzer, set of references)
    order = []
    for ref_a, cls in zip(ref_ascii, classes):
        fuzzer = dnstwist.Fuzzer(ref_a, dictionary=words, tld_dictionary=swap)
        fuzzer.generate()
        # The same name under another TLD is a slip only for an organisation's own and trusted
        # domains: a webmail's country domains (`hotmail.fr`) are its own.
        skip = {"*original"} | ({"tld-swap"} if cls != "trusted" else set())
        found = [(p["fuzzer"], p["domain"]) for p in fuzzer.domains if p["fuzzer"] not in skip]
        name, _, tld = ref_a.rpartition(".")
        for edit in tld_edits(tld):
            kind = "tld-edit" if edit in tlds else "tld-edit-invalid"
            found.append((kind, name + "." + edit))
        # At most CAP per fuzzer and reference (homoglyph alone makes thousands), picked by a
        # stable hash so that the corpus stays small and the same on every run.
        by_kind = {}
        for kind, domain in found:
            by_kind.setdefault(kind, set()).add(domain)
        found = []
        for kind, domains in sorted(by_kind.items()):
            ranked = sorted(domains, key=lambda d: hashlib.sha256(d.encode()).hexdigest())
            found.extend((kind, d) for d in sorted(ranked[:CAP.get(kind, 150)]))
        for kind, domain in found:
            domain = to_ascii(domain)
            if not domain or domain in ref_set:
                continue
            if domain not in positives:
                positives[domain] = (kind, set())
                order.append(domain)
            positives[domain][1].add(ref_a)

    sources = [
        ("free-email-domains", json.load(open(os.path.join(packages, "free-email-domains/package/domains.json")))),
        ("email-providers", json.load(open(os.path.join(packages, "email-providers/package/all.json")))),
        ("top-sites", [s["rootDomain"].removeprefix("www.") for s in
                       json.load(open(os.path.join(packages, "top-sites/package/top-sites.json")))]),
        ("disposable-email-domains", json.load(open(os.path.join(packages, "disposable-email-domains/package/index.json")))[::8]),
    ]
    tld_set = set(tlds)
    seen = set()
    negatives = []
    for source, domains in sources:
        for d in domains:
            a = to_ascii(d.strip().lower())
            if not a or a in seen or a in ref_set or "." not in a or a.rsplit(".", 1)[1] not in tld_set:
                continue
            seen.add(a)
            near = a in positives or any(
                osa(a, r) <= 2 or a.split(".")[0] == r.split(".")[0] for r in ref_ascii)
            negatives.append((source, a, "near" if near else "far"))
    # A real domain is not a lookalike to score: it is measured among the negatives.
    real = {a for _, a, _ in negatives}
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "lookalikes.tsv"), "w", encoding="utf-8") as f:
        f.write("# fuzzer\tdomain (ASCII)\treferences it imitates (comma-separated)\n")
        for domain in order:
            if domain in real:
                continue
            kind, refs = positives[domain]
            f.write(f"{kind}\t{domain}\t{','.join(sorted(refs))}\n")
    with open(os.path.join(out_dir, "negatives.tsv"), "w", encoding="utf-8") as f:
        f.write("# source\tdomain (ASCII)\tfar | near (two edits or a fuzzer's output from a reference)\n")
        for source, a, where in negatives:
            f.write(f"{source}\t{a}\t{where}\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
