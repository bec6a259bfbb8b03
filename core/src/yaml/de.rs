//! `serde` over the reader's [`Node`]s: a string field takes a plain scalar's text as written
//! (`chartVersion: 2.21` is the string `"2.21"`), anything else resolves plain scalars by the
//! YAML core schema (null, booleans, integers, floats). Errors carry the offset of the node they
//! are about, so the message names its line and column.

use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};

use super::read::{Kind, Node};

/// A deserialization error, at the node it is about once known.
#[derive(Debug)]
pub(crate) struct DeError {
    pub(crate) at: Option<usize>,
    pub(crate) message: String,
}

impl DeError {
    fn or_at(mut self, at: usize) -> Self {
        self.at.get_or_insert(at);
        self
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError { at: None, message: msg.to_string() }
    }

    // These two are serde's own, with `Unexpected` written by `unexpected`: serde's `Display` of
    // it prints a float with the standard library's float formatting (15 KB of the browser's
    // diagnostics module, which prints no other float).
    fn invalid_type(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        Self::custom(format_args!("invalid type: {}, expected {exp}", Unexpected(unexp)))
    }

    fn invalid_value(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        Self::custom(format_args!("invalid value: {}, expected {exp}", Unexpected(unexp)))
    }
}

/// serde's text for an [`de::Unexpected`], byte for byte, a float written by `serde_json`'s
/// formatter (the shortest text that reads back, as the standard library's; with `.0` when it
/// has no point, as serde adds it).
struct Unexpected<'a>(de::Unexpected<'a>);

impl fmt::Display for Unexpected<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use de::Unexpected as U;
        match self.0 {
            U::Bool(b) => write!(f, "boolean `{b}`"),
            U::Unsigned(i) => write!(f, "integer `{i}`"),
            U::Signed(i) => write!(f, "integer `{i}`"),
            U::Float(x) => write!(f, "floating point `{}`", float_text(x)),
            U::Char(c) => write!(f, "character `{c}`"),
            U::Str(s) => write!(f, "string {s:?}"),
            U::Bytes(_) => f.write_str("byte array"),
            U::Unit => f.write_str("unit value"),
            U::Option => f.write_str("Option value"),
            U::NewtypeStruct => f.write_str("newtype struct"),
            U::Seq => f.write_str("sequence"),
            U::Map => f.write_str("map"),
            U::Enum => f.write_str("enum"),
            U::UnitVariant => f.write_str("unit variant"),
            U::NewtypeVariant => f.write_str("newtype variant"),
            U::TupleVariant => f.write_str("tuple variant"),
            U::StructVariant => f.write_str("struct variant"),
            U::Other(other) => f.write_str(other),
        }
    }
}

/// A float as serde's `Unexpected` writes it, without the standard library's float formatting.
fn float_text(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    // serde_json writes the shortest text that reads back, as `Display` does, but with an
    // exponent for large and small magnitudes (`1e20`, `1e-7`), where `Display` writes all the
    // digits; no YAML scalar this reads needs those.
    serde_json::Number::from_f64(x).map(|n| n.to_string()).unwrap_or_default()
}

/// A plain scalar's value by the core schema (and the YAML 1.1 booleans `yes`/`no`/`on`/`off`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Plain<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(&'a str),
}

/// Resolves a plain scalar's text.
pub(crate) fn resolve(text: &str) -> Plain<'_> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Plain::Null,
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => return Plain::Bool(true),
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => {
            return Plain::Bool(false);
        }
        _ => {}
    }
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let radix = [("0x", 16), ("0o", 8), ("0b", 2)].into_iter().find(|(p, _)| digits.starts_with(p));
    if let Some((prefix, radix)) = radix {
        let body = &digits[prefix.len()..];
        if !body.is_empty() && body.bytes().all(|c| c == b'_' || char::from(c).is_digit(radix)) {
            let body: String = body.chars().filter(|&c| c != '_').collect();
            if let Ok(n) = u64::from_str_radix(&body, radix) {
                return int(negative, n, text);
            }
        }
        return Plain::Str(text);
    }
    let decimal = !digits.is_empty()
        && digits.as_bytes()[0].is_ascii_digit()
        && digits.bytes().all(|c| c.is_ascii_digit() || c == b'_');
    if decimal {
        let body: String = digits.chars().filter(|&c| c != '_').collect();
        // A leading zero is no YAML 1.2 integer; read it as a number all the same (as before).
        if !(body.len() > 1 && body.starts_with('0'))
            && let Ok(n) = body.parse::<u64>()
        {
            return int(negative, n, text);
        }
        return float(&body).map_or(Plain::Str(text), |f| Plain::Float(if negative { -f } else { f }));
    }
    let float = digits.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'-' | b'+'))
        && digits.bytes().any(|c| c.is_ascii_digit())
        && (digits.as_bytes()[0].is_ascii_digit() || digits.as_bytes()[0] == b'.');
    if float && let Some(f) = self::float(text) {
        return Plain::Float(f);
    }
    Plain::Str(text)
}

fn int(negative: bool, n: u64, text: &str) -> Plain<'_> {
    if !negative {
        return i64::try_from(n).map_or(Plain::Uint(n), Plain::Int);
    }
    if n <= i64::MAX as u64 + 1 {
        return Plain::Int((n as i128).wrapping_neg() as i64);
    }
    float(text).map_or(Plain::Str(text), Plain::Float)
}

/// A number in the syntax of Rust's `f64::from_str` without `inf` and `nan` (`1`, `-1.5`,
/// `.5`, `1.`, `2e-3`), as JSON (`-0.5`, `1`, `2e-3`) for `serde_json`'s parser, which this crate
/// has anyway: `str::parse` would add the standard library's float parser and its 10 KB table
/// of powers of five to the browser's diagnostics module. Exact wherever the digits fit a
/// double (up to 15 significant digits, exponents within ±22), which is every float a config,
/// a snapshot or a Kubernetes object this tool reads could hold (none of their fields is one);
/// longer ones may differ in the last bit. Past the largest double: infinite, as `parse` says.
fn float(text: &str) -> Option<f64> {
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(at) => (&rest[..at], Some(&rest[at + 1..])),
        None => (rest, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
    if !digits(int) || !digits(frac) || int.len() + frac.len() == 0 {
        return None;
    }
    let mut json = String::with_capacity(text.len() + 2);
    if negative {
        json.push('-');
    }
    let int = int.trim_start_matches('0');
    json.push_str(if int.is_empty() { "0" } else { int });
    if !frac.is_empty() {
        json.push('.');
        json.push_str(frac);
    }
    if let Some(exp) = exponent {
        let exp_digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        if exp_digits.is_empty() || !digits(exp_digits) {
            return None;
        }
        json.push('e');
        json.push_str(exp);
    }
    // The syntax is right, so the only refusal left is a number past the largest double.
    // Into a `Value`, as Helm releases are read: one copy of the JSON parser.
    let infinite = if negative { f64::NEG_INFINITY } else { f64::INFINITY };
    Some(
        serde_json::from_slice::<serde_json::Value>(json.as_bytes())
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(infinite),
    )
}

/// Reads a value of type `T` from a node.
pub(crate) fn from_node<'de, T: de::Deserialize<'de>>(node: &Node) -> Result<T, DeError> {
    T::deserialize(node)
}

fn invalid(node: &Node, what: &str) -> DeError {
    let found = match &node.kind {
        Kind::Scalar(t, true) if resolve(t) == Plain::Null => "null".to_owned(),
        Kind::Scalar(t, _) => format!("the scalar `{t}`"),
        Kind::Seq(_) => "a sequence".to_owned(),
        Kind::Map(_) => "a mapping".to_owned(),
    };
    DeError { at: Some(node.at), message: format!("expected {what}, found {found}") }
}

impl<'de> de::Deserializer<'de> for &Node {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let r = match &self.kind {
            Kind::Scalar(text, true) => match resolve(text) {
                Plain::Null => visitor.visit_unit(),
                Plain::Bool(b) => visitor.visit_bool(b),
                Plain::Int(n) => visitor.visit_i64(n),
                Plain::Uint(n) => visitor.visit_u64(n),
                Plain::Float(f) if f.is_finite() => visitor.visit_f64(f),
                Plain::Float(_) => Err(invalid(self, "a finite number")),
                Plain::Str(s) => visitor.visit_str(s),
            },
            Kind::Scalar(text, false) => visitor.visit_str(text),
            Kind::Seq(items) => visitor.visit_seq(Items(items.iter())),
            Kind::Map(entries) => visitor.visit_map(Entries { iter: entries.iter(), value: None }),
        };
        r.map_err(|e| e.or_at(self.at))
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.kind {
            Kind::Scalar(text, plain) if !*plain || resolve(text) != Plain::Null => {
                visitor.visit_str::<DeError>(text).map_err(|e| e.or_at(self.at))
            }
            _ => Err(invalid(self, "a string")),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.kind {
            Kind::Scalar(text, _) => visitor.visit_str::<DeError>(text).map_err(|e| e.or_at(self.at)),
            _ => Err(invalid(self, "a name")),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.kind {
            Kind::Scalar(text, true) if resolve(text) == Plain::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match &self.kind {
            Kind::Scalar(text, _) => {
                let name: de::value::StrDeserializer<'_, DeError> = text.as_str().into_deserializer();
                visitor.visit_enum(name).map_err(|e| e.or_at(self.at))
            }
            _ => Err(invalid(self, "one of the names listed")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    // A struct or map is read from a mapping only, and a sequence from a sequence: through
    // `deserialize_any`, every struct's visitor would also be compiled for a sequence and for
    // each kind of scalar (a copy of its fields' code that no file uses), which made this
    // deserializer the largest part of the browser's diagnostics module.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.kind {
            Kind::Map(entries) => {
                visitor.visit_map(Entries { iter: entries.iter(), value: None }).map_err(|e| e.or_at(self.at))
            }
            _ => Err(invalid(self, "a mapping")),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.kind {
            Kind::Seq(items) => visitor.visit_seq(Items(items.iter())).map_err(|e| e.or_at(self.at)),
            _ => Err(invalid(self, "a sequence")),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf unit unit_struct
        tuple tuple_struct
    }
}

struct Items<'a>(std::slice::Iter<'a, Node>);

impl<'de> SeqAccess<'de> for Items<'_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, DeError> {
        self.0.next().map(|n| seed.deserialize(n).map_err(|e| e.or_at(n.at))).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Entries<'a> {
    iter: std::slice::Iter<'a, (Node, Node)>,
    value: Option<&'a Node>,
}

impl<'de> MapAccess<'de> for Entries<'_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DeError> {
        let Some((k, v)) = self.iter.next() else { return Ok(None) };
        self.value = Some(v);
        seed.deserialize(k).map(Some).map_err(|e| e.or_at(k.at))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let v = self.value.take().ok_or_else(|| de::Error::custom("a value without its key"))?;
        seed.deserialize(v).map_err(|e| e.or_at(v.at))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn floats_read_as_the_standard_parser_reads_them() {
        for text in
            ["1.5", "-2.25", ".5", "-.5", "+1.", "1e3", "1E-3", "2.5e+2", "0.1", "007.5", "1.e5", "6.02e23"]
        {
            assert_eq!(float(text), text.parse::<f64>().ok(), "{text}");
        }
        for text in [".", "e5", "1e", "1e+", "1.2.3", "1e5e5", "+-1", "--1", "", "1-2", "1_0.5"] {
            assert_eq!(float(text), None, "{text}");
            assert!(text.parse::<f64>().is_err(), "{text}");
        }
        assert_eq!(float("1e400"), Some(f64::INFINITY));
        assert_eq!(float("-1e400"), Some(f64::NEG_INFINITY));
        assert_eq!(float("1e-400"), Some(0.0));
        assert_eq!(resolve("99999999999999999999"), Plain::Float(1e20));
        assert_eq!(resolve("-1.5"), Plain::Float(-1.5));
    }

    proptest! {
        /// Up to 12 digits and a one-digit exponent: the same value as `str::parse`.
        #[test]
        fn short_floats_are_exact(text in "[+-]?[0-9]{0,6}(\\.[0-9]{0,6})?([eE][+-]?[0-9])?") {
            prop_assert_eq!(float(&text), text.parse::<f64>().ok());
        }

        /// Any text of number characters: read if and only if `str::parse` reads it.
        #[test]
        fn the_same_texts_are_numbers(text in "[0-9.eE+-]{0,8}") {
            prop_assert_eq!(float(&text).is_some(), text.parse::<f64>().is_ok());
        }
    }
}
