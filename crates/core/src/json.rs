//! One rule for every JSON input (drafts, policies, envelopes, statements, keysets, requests):
//! exactly one JSON object, nothing after it but whitespace, and an object wherever the format
//! has one. serde's derived structs would also take an array of the field values in order
//! (`["application/vnd...", "eyJ...", []]` for an envelope, `[]` for a draft); the formats do
//! not allow that (docs/bundle-format.md), so [`from_slice`] reads every struct as a map.
//!
//! The same wrapper also tracks the path of the value being read, so that an error names the
//! field (`content.rules[0].min_count`), as `serde_path_to_error` does (a test compares the two
//! on broken inputs). One wrapper rather than two around serde_json: every derived type's
//! reading code is generated once per wrapper type, and two nested wrappers cost the
//! WebAssembly build ~15 KB gzipped (docs/wasm.md).
//!
//! Used by every reader in the core, by the CLI and by the server's publish path, so the bytes
//! the server stores are parsed by the same rule as the engine parses them.

use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, Visitor};
use std::cell::RefCell;

/// Why a JSON text was refused; `path` names the field (empty for the whole text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "at `{}`: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for JsonError {}

/// Reads exactly one JSON value of type `T` (a struct: an object, never an array), with
/// nothing but whitespace after it.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, JsonError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let track = Track::default();
    let value = T::deserialize(Strict::new(&mut de, &track)).map_err(|e| JsonError {
        path: track.failed.take().unwrap_or_default(),
        message: e.to_string(),
    })?;
    de.end().map_err(|e| JsonError {
        path: String::new(),
        message: format!("{e}: only one JSON object is allowed"),
    })?;
    Ok(value)
}

/// [`from_slice`] for text.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, JsonError> {
    from_slice(text.as_bytes())
}

/// One step of the path to a value: a field (or map key, or enum variant), a position in a
/// list, or a key that is not a string or a number (`?`).
enum Segment {
    Key(String),
    Index(usize),
    Unknown,
}

/// The path of the value being read, the key just read (for the value that follows it), and
/// the path where reading failed first (the innermost value: outer values fail after it).
#[derive(Default)]
struct Track {
    segments: RefCell<Vec<Segment>>,
    key: RefCell<Option<String>>,
    failed: RefCell<Option<String>>,
}

// The path is kept by these few functions, never inlined: the wrappers below are generated
// again for every type read, so they only call them (inlined, this code cost ~15 KB).
impl Track {
    /// Records the path of the value being read, with `last` after it, unless a value inside
    /// it failed first.
    #[inline(never)]
    fn fail(&self, last: Option<&Segment>) {
        let mut failed = self.failed.borrow_mut();
        if failed.is_none() {
            // serde_path_to_error's spelling: `a.b[2].c`, `?` for a key of another kind.
            let mut path = String::new();
            for (i, segment) in self.segments.borrow().iter().chain(last).enumerate() {
                let key = match segment {
                    Segment::Index(index) => {
                        path.push_str(&format!("[{index}]"));
                        continue;
                    }
                    Segment::Key(key) => key,
                    Segment::Unknown => "?",
                };
                if i > 0 {
                    path.push('.');
                }
                path.push_str(key);
            }
            *failed = Some(path);
        }
    }

    /// Keeps the text of a map key or enum variant just read (`key`), for the path of what
    /// follows it.
    #[inline(never)]
    fn read_key(&self, key: bool, text: &str) {
        if key {
            *self.key.borrow_mut() = Some(text.to_string());
        }
    }

    /// The key just read as a path segment (`?` when it was neither a string nor a number).
    fn take_key(&self) -> Segment {
        self.key.take().map_or(Segment::Unknown, Segment::Key)
    }

    /// Before a map key (or enum variant) is read.
    #[inline(never)]
    fn key_start(&self) {
        self.key.take();
    }

    /// After a map key was read (or not: its path then ends with the key, as far as read).
    #[inline(never)]
    fn key_end(&self, failed: bool) {
        if failed {
            let key = self.take_key();
            self.fail(Some(&key));
        }
    }

    /// Before a map's value: its path is the key just read.
    #[inline(never)]
    fn value_start(&self) {
        let key = self.take_key();
        self.segments.borrow_mut().push(key);
    }

    /// Before a list's element at `index`.
    #[inline(never)]
    fn element_start(&self, index: usize) {
        self.segments.borrow_mut().push(Segment::Index(index));
    }

    /// A value or element failed to read: records its path.
    #[inline(never)]
    fn value_failed(&self) {
        self.fail(None);
    }

    /// After a map's value or a list's element. Failing here, it failed before the value
    /// itself began (a missing `:` or `,`): the path is the map's or the list's.
    #[inline(never)]
    fn value_end(&self, failed: bool) {
        let segment = self.segments.borrow_mut().pop();
        if failed {
            self.fail(None);
        }
        drop(segment);
    }
}

/// A deserializer that reads structs only from maps, at every depth, and keeps `track`'s path.
/// `key`: this one reads a map key or an enum variant, whose text becomes a path segment.
/// Enum payloads are passed through unchanged: the formats' enums are plain strings.
struct Strict<'t, D> {
    de: D,
    track: &'t Track,
    key: bool,
}

impl<'t, D> Strict<'t, D> {
    fn new(de: D, track: &'t Track) -> Self {
        Strict {
            de,
            track,
            key: false,
        }
    }
}

struct StrictVisitor<'t, V> {
    visitor: V,
    track: &'t Track,
    key: bool,
}

/// A seed for a map key or enum variant (`key`), or for a value.
struct StrictSeed<'t, S> {
    seed: S,
    track: &'t Track,
    key: bool,
}

impl<'t, S> StrictSeed<'t, S> {
    fn key(seed: S, track: &'t Track) -> Self {
        let key = true;
        StrictSeed { seed, track, key }
    }

    fn value(seed: S, track: &'t Track) -> Self {
        let key = false;
        StrictSeed { seed, track, key }
    }
}

struct StrictSeq<'t, A> {
    access: A,
    track: &'t Track,
    index: usize,
}

struct StrictMap<'t, A> {
    access: A,
    track: &'t Track,
}

struct StrictEnum<'t, A> {
    access: A,
    track: &'t Track,
}

struct StrictVariant<'t, A> {
    access: A,
    track: &'t Track,
    variant: Segment,
}

impl<'t, D> Strict<'t, D> {
    fn wrap<V>(&self, visitor: V) -> StrictVisitor<'t, V> {
        StrictVisitor {
            visitor,
            track: self.track,
            key: self.key,
        }
    }
}

macro_rules! forward_deserialize {
    ($($method:ident),*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            let visitor = self.wrap(visitor);
            self.de.$method(visitor)
        })*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Strict<'_, D> {
    type Error = D::Error;

    forward_deserialize!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_option,
        deserialize_unit,
        deserialize_seq,
        deserialize_map,
        deserialize_identifier,
        deserialize_ignored_any
    );

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let visitor = self.wrap(visitor);
        self.de.deserialize_unit_struct(name, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let visitor = self.wrap(visitor);
        self.de.deserialize_newtype_struct(name, visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let visitor = self.wrap(visitor);
        self.de.deserialize_tuple(len, visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let visitor = self.wrap(visitor);
        self.de.deserialize_tuple_struct(name, len, visitor)
    }

    /// The point of the wrapper: a struct is read as a map, so an array is refused.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let visitor = self.wrap(visitor);
        self.de.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let visitor = self.wrap(visitor);
        self.de.deserialize_enum(name, variants, visitor)
    }

    fn is_human_readable(&self) -> bool {
        self.de.is_human_readable()
    }
}

impl<'t, V> StrictVisitor<'t, V> {
    fn strict<D>(&self, de: D) -> Strict<'t, D> {
        Strict {
            de,
            track: self.track,
            key: self.key,
        }
    }
}

macro_rules! forward_visit {
    ($($method:ident($ty:ty)),*) => {
        $(fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
            self.visitor.$method(v)
        })*
    };
}

/// Keys that are numbers or booleans are kept as their text, as serde_path_to_error does.
macro_rules! capture_visit {
    ($($method:ident($ty:ty)),*) => {
        $(fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
            if self.key {
                self.track.read_key(true, &v.to_string());
            }
            self.visitor.$method(v)
        })*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for StrictVisitor<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        self.visitor.expecting(f)
    }

    capture_visit!(
        visit_bool(bool),
        visit_i64(i64),
        visit_i128(i128),
        visit_u64(u64),
        visit_u128(u128)
    );

    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        self.track.read_key(self.key, v);
        self.visitor.visit_str(v)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        self.track.read_key(self.key, v);
        self.visitor.visit_borrowed_str(v)
    }

    forward_visit!(
        visit_f64(f64),
        visit_char(char),
        visit_bytes(&[u8]),
        visit_borrowed_bytes(&'de [u8]),
        visit_byte_buf(Vec<u8>)
    );

    fn visit_string<E: de::Error>(self, v: String) -> Result<V::Value, E> {
        self.track.read_key(self.key, &v);
        self.visitor.visit_string(v)
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        let d = self.strict(d);
        self.visitor.visit_some(d)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        let d = self.strict(d);
        self.visitor.visit_newtype_struct(d)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, access: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_seq(StrictSeq {
            access,
            track: self.track,
            index: 0,
        })
    }

    fn visit_map<A: de::MapAccess<'de>>(self, access: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_map(StrictMap {
            access,
            track: self.track,
        })
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, access: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_enum(StrictEnum {
            access,
            track: self.track,
        })
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for StrictSeed<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<S::Value, D::Error> {
        let track = self.track;
        let key = self.key;
        let value = self.seed.deserialize(Strict { de, track, key });
        if value.is_err() && !key {
            track.value_failed();
        }
        value
    }
}

impl<'de, A: de::SeqAccess<'de>> de::SeqAccess<'de> for StrictSeq<'_, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        let track = self.track;
        track.element_start(self.index);
        self.index += 1;
        let element = (self.access).next_element_seed(StrictSeed::value(seed, track));
        track.value_end(element.is_err());
        element
    }

    fn size_hint(&self) -> Option<usize> {
        self.access.size_hint()
    }
}

impl<'de, A: de::MapAccess<'de>> de::MapAccess<'de> for StrictMap<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let track = self.track;
        track.key_start();
        let key = (self.access).next_key_seed(StrictSeed::key(seed, track));
        track.key_end(key.is_err());
        key
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        let track = self.track;
        track.value_start();
        let value = (self.access).next_value_seed(StrictSeed::value(seed, track));
        track.value_end(value.is_err());
        value
    }

    fn size_hint(&self) -> Option<usize> {
        self.access.size_hint()
    }
}

impl<'de, 't, A: de::EnumAccess<'de>> de::EnumAccess<'de> for StrictEnum<'t, A> {
    type Error = A::Error;
    type Variant = StrictVariant<'t, A::Variant>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), A::Error> {
        let track = self.track;
        track.key_start();
        let (value, access) = (self.access).variant_seed(StrictSeed::key(seed, track))?;
        let variant = track.take_key();
        Ok((
            value,
            StrictVariant {
                access,
                track,
                variant,
            },
        ))
    }
}

/// A variant's payload, read as serde_json reads it; an error names the variant.
impl<'de, A: de::VariantAccess<'de>> de::VariantAccess<'de> for StrictVariant<'_, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        (self.access)
            .unit_variant()
            .inspect_err(|_| self.track.fail(Some(&self.variant)))
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        (self.access)
            .newtype_variant_seed(seed)
            .inspect_err(|_| self.track.fail(Some(&self.variant)))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        (self.access)
            .tuple_variant(len, visitor)
            .inspect_err(|_| self.track.fail(Some(&self.variant)))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        (self.access)
            .struct_variant(fields, visitor)
            .inspect_err(|_| self.track.fail(Some(&self.variant)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        name: String,
        #[serde(default)]
        inner: Vec<Inner>,
        #[serde(default)]
        one: Option<Inner>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Inner {
        id: u32,
    }

    #[test]
    fn exactly_one_object() {
        let ok: Outer =
            from_str(r#" {"name": "a", "inner": [{"id": 1}], "one": {"id": 2}} "#).unwrap();
        assert_eq!(ok.inner, [Inner { id: 1 }]);
        let e = from_str::<Outer>(r#"{"name": "a"}{"name": "b"}"#).unwrap_err();
        assert!(e.message.contains("only one JSON object"), "{e}");
        assert!(from_str::<Outer>("{\"name\": \"a\"}\n{\"name\": \"b\"}").is_err());
        assert!(from_str::<Outer>(r#"{"name": "a"} x"#).is_err());
        assert!(from_str::<Outer>("{\"name\": \"a\"}\n").is_ok());
    }

    #[test]
    fn arrays_are_not_objects_at_any_depth() {
        // serde_json alone accepts all three.
        assert!(serde_json::from_str::<Outer>(r#"["a", [[1]], [2]]"#).is_ok());
        let e = from_str::<Outer>(r#"["a"]"#).unwrap_err();
        assert!(e.message.contains("invalid type: sequence"), "{e}");
        let e = from_str::<Outer>(r#"{"name": "a", "inner": [[1]]}"#).unwrap_err();
        assert_eq!(e.path, "inner[0]");
        let e = from_str::<Outer>(r#"{"name": "a", "one": [2]}"#).unwrap_err();
        assert_eq!(e.path, "one");
    }

    /// The path as the previous reader named it: serde_path_to_error around the same strict
    /// reading (`Strict` with a track nobody reads).
    fn path_to_error_path<T: DeserializeOwned>(text: &str) -> Option<(String, String)> {
        let mut de = serde_json::Deserializer::from_str(text);
        let unused = Track::default();
        let e = serde_path_to_error::deserialize::<_, T>(Strict::new(&mut de, &unused)).err()?;
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        Some((path, e.into_inner().to_string()))
    }

    /// Every prefix of `text`, and `text` with each value replaced by a value of a wrong
    /// kind or a key renamed, fails at the same path and with the same message in both.
    fn paths_agree<T: DeserializeOwned>(text: &str) {
        let mut broken: Vec<String> = (0..text.len())
            .filter(|&i| text.is_char_boundary(i))
            .map(|i| text[..i].to_string())
            .collect();
        for (i, c) in text.char_indices() {
            let rest = &text[i + c.len_utf8()..];
            match c {
                ':' => {
                    for wrong in ["1.5", "[1]", "{\"x\":1}", "\"s\"", "true", "-1", "null"] {
                        // the value after the colon, up to the next comma or closing bracket
                        // at the same depth, replaced
                        let mut depth = 0i32;
                        let end = rest
                            .char_indices()
                            .find(|&(_, c)| {
                                match c {
                                    '[' | '{' => depth += 1,
                                    ']' | '}' if depth > 0 => depth -= 1,
                                    ',' | ']' | '}' if depth == 0 => return true,
                                    _ => {}
                                }
                                false
                            })
                            .map_or(rest.len(), |(j, _)| j);
                        broken.push(format!("{}:{wrong}{}", &text[..i], &rest[end..]));
                    }
                }
                '"' if rest.contains(':') => broken.push(format!("{}\"zz{rest}", &text[..i])),
                ',' => broken.push(format!("{},{rest}", &text[..i + 1])),
                _ => {}
            }
        }
        let mut compared = 0;
        for text in &broken {
            let mut de = serde_json::Deserializer::from_str(text);
            let track = Track::default();
            let ours = T::deserialize(Strict::new(&mut de, &track))
                .err()
                .map(|e| (track.failed.take().unwrap_or_default(), e.to_string()));
            assert_eq!(ours, path_to_error_path::<T>(text), "{text}");
            compared += ours.is_some() as usize;
        }
        assert!(compared > 100, "only {compared} broken texts failed");
    }

    #[test]
    fn error_paths_are_serde_path_to_errors() {
        paths_agree::<Outer>(r#"{"name": "a", "inner": [{"id": 1}, {"id": 2}], "one": {"id": 3}}"#);
        // One policy of every corpus case's settings (each top-level key as some case sets
        // it), and the drafts that have attachments.
        let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/corpus");
        let mut policy = serde_json::Map::new();
        let mut drafts = 0;
        for entry in std::fs::read_dir(corpus).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let text = std::fs::read_to_string(path).unwrap();
            let case: serde_json::Value = serde_json::from_str(&text).unwrap();
            if let Some(serde_json::Value::Object(settings)) = case.get("policy") {
                policy.extend(settings.clone());
            }
            match case.get("draft") {
                Some(draft) if drafts < 3 && text.contains("attachments") => {
                    paths_agree::<crate::draft::Draft>(&serde_json::to_string(draft).unwrap());
                    drafts += 1;
                }
                _ => {}
            }
        }
        assert!(policy.len() >= 8 && drafts > 0, "{policy:?}");
        paths_agree::<crate::policy::Policy>(&serde_json::to_string(&policy).unwrap());
    }

    #[test]
    fn duplicate_fields_are_refused() {
        assert!(from_str::<Outer>(r#"{"name": "a", "name": "b"}"#).is_err());
    }
}
