//! Built-in reference data: the high-value domains every sender may mean.
//!
//! Kept small and curated: each entry is a big mail provider whose typo domains are known to
//! be registered by others. Real domains one edit from an entry go in [`LEGITIMATE_NEIGHBOURS`]
//! so that they are never reported (e.g. Yahoo's `ymail.com` beside `gmail.com`).

pub const HIGH_VALUE_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "hotmail.co.uk",
    "yahoo.com",
    "yahoo.co.uk",
    "icloud.com",
    "protonmail.com",
    "proton.me",
    "gmx.net",
    "t-online.de",
    "orange.fr",
    "yandex.ru",
    "zoho.com",
    "fastmail.com",
    "tutanota.com",
    "comcast.net",
    "verizon.net",
    "btinternet.com",
];

/// Real, unrelated mail domains within one edit or homoglyph of a high-value domain.
pub const LEGITIMATE_NEIGHBOURS: &[&str] = &[
    "mail.com",
    "email.com",
    "ymail.com",
    "gmx.com",
    "gmx.at",
    "gmx.ch",
    "outlook.fr",
    "outlook.de",
    "yahoo.fr",
    "yahoo.de",
    "hotmail.de",
    "hotmail.es",
    "hotmail.it",
];
