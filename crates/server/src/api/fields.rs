//! Reading a JSON object field by field, collecting every problem as
//! `{field: [message]}` (Rails' wording, which Judge0 clients show to users)
//! instead of stopping at the first.
//!
//! Numbers may come as JSON numbers or numeric strings (Rails casts both);
//! NaN, infinities and non-numeric strings are "is not a number".

use super::FieldErrors;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use serde_json::{Map, Value};

/// Standard base64, padding optional, line breaks allowed (Ruby's `encode64`
/// inserts them every 60 characters).
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Decodes base64 as clients send it.
pub fn decode_b64(s: &str) -> Option<Vec<u8>> {
    let clean: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    LENIENT.decode(clean).ok()
}

/// `map[field]`, for a parser that reads only the fields `listed` (see
/// [`Reader::listed`]).
pub fn listed<'a>(map: &'a Map<String, Value>, listed: &[&str], field: &str) -> Option<&'a Value> {
    debug_assert!(listed.contains(&field), "{field} is read but not in the parser's list of fields");
    map.get(field)
}

/// A lower bound on a number.
#[derive(Clone, Copy)]
pub enum Min {
    /// `> x`.
    Above(f64),
    /// `>= x`.
    AtLeast(f64),
}

/// Reads fields out of one JSON object.
pub struct Reader<'a> {
    map: &'a Map<String, Value>,
    /// The only fields it may read, when the parser declares them.
    listed: Option<&'static [&'static str]>,
    /// Problems found so far.
    pub errors: FieldErrors,
}

impl<'a> Reader<'a> {
    /// Over `map`.
    pub fn new(map: &'a Map<String, Value>) -> Reader<'a> {
        Reader { map, listed: None, errors: FieldErrors::new() }
    }

    /// Over `map`, for a parser that reads only the fields `listed` (the
    /// list its OpenAPI description is tested against): reading another is a
    /// bug, a panic in debug builds (every test).
    pub fn listed(map: &'a Map<String, Value>, listed: &'static [&'static str]) -> Reader<'a> {
        Reader { map, listed: Some(listed), errors: FieldErrors::new() }
    }

    /// Records a problem with `field`.
    pub fn err(&mut self, field: &str, msg: impl Into<String>) {
        self.errors.entry(field.to_owned()).or_default().push(msg.into());
    }

    /// The raw value, `None` for absent or null.
    pub fn raw(&self, field: &str) -> Option<&'a Value> {
        match self.listed {
            Some(l) => listed(self.map, l, field),
            None => self.map.get(field),
        }
        .filter(|v| !v.is_null())
    }

    /// A string field.
    pub fn string(&mut self, field: &str) -> Option<String> {
        match self.raw(field)? {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.err(field, "must be a string");
                None
            }
        }
    }

    /// A string field of at most `max` characters.
    pub fn short_string(&mut self, field: &str, max: usize) -> Option<String> {
        let s = self.string(field)?;
        if s.chars().count() > max {
            self.err(field, format!("is too long (maximum is {max} characters)"));
            return None;
        }
        Some(s)
    }

    /// A string that becomes command-line arguments: bounded, and without NUL
    /// bytes (which no argument can hold).
    pub fn arg_string(&mut self, field: &str, max: usize) -> Option<String> {
        let s = self.short_string(field, max)?;
        if s.contains('\0') {
            self.err(field, "must not contain NUL characters");
            return None;
        }
        Some(s)
    }

    /// A text field as bytes, base64-decoded when `b64`.
    pub fn bytes(&mut self, field: &str, b64: bool) -> Option<Vec<u8>> {
        let s = self.string(field)?;
        if !b64 {
            return Some(s.into_bytes());
        }
        match decode_b64(&s) {
            Some(b) => Some(b),
            None => {
                self.err(field, "is not valid base64");
                None
            }
        }
    }

    /// A number field, `None` when absent (or invalid, with the error recorded).
    pub fn number(&mut self, field: &str) -> Option<f64> {
        let v = match self.raw(field)? {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        match v.filter(|v| v.is_finite()) {
            Some(v) => Some(v),
            None => {
                self.err(field, "is not a number");
                None
            }
        }
    }

    /// A number in range, or `default` when absent; the error names the bound.
    pub fn ranged(&mut self, field: &str, default: f64, min: Min, max: f64) -> f64 {
        match self.number(field) {
            Some(v) => self.check_range(field, v, default, min, max),
            None => default,
        }
    }

    /// A whole number in range: fractions are cut first (Rails casts integer
    /// columns before validating), so 0.5 is 0 and "must be greater than 0".
    pub fn ranged_int(&mut self, field: &str, default: u64, min: Min, max: u64) -> u64 {
        match self.number(field) {
            Some(v) => self.check_range(field, v.trunc(), default as f64, min, max as f64) as u64,
            None => default,
        }
    }

    fn check_range(&mut self, field: &str, v: f64, default: f64, min: Min, max: f64) -> f64 {
        let msg = match min {
            Min::Above(m) if v <= m => format!("must be greater than {m}"),
            Min::AtLeast(m) if v < m => format!("must be greater than or equal to {m}"),
            _ if v > max => format!("must be less than or equal to {max}"),
            _ => return v,
        };
        self.err(field, msg);
        default
    }

    /// A boolean: JSON true/false, or "true"/"false"/"1"/"0"/1/0 as Rails casts.
    pub fn boolean(&mut self, field: &str) -> Option<bool> {
        let v = match self.raw(field)? {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => match n.as_u64() {
                Some(1) => Some(true),
                Some(0) => Some(false),
                _ => None,
            },
            Value::String(s) => match s.to_ascii_lowercase().as_str() {
                "true" | "1" | "t" => Some(true),
                "false" | "0" | "f" | "" => Some(false),
                _ => None,
            },
            _ => None,
        };
        if v.is_none() {
            self.err(field, "must be true or false");
        }
        v
    }

    /// Fields present that are not in `known`.
    pub fn unknown(&mut self, known: &[&str]) {
        let extra: Vec<String> = self.map.keys().filter(|k| !known.contains(&k.as_str())).cloned().collect();
        for k in extra {
            self.err(&k, "is not a known field");
        }
    }
}

/// Splits a command line into words like a shell would (quotes and
/// backslashes), without expanding anything. Judge0 removes `$&;<>|` and
/// backquotes before its shell sees the line; they are removed here too.
pub fn shell_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars().filter(|c| !"$&;<>|`".contains(*c));
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => cur.push(x),
                        None => return Err("has an unterminated single quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x @ ('"' | '\\')) => cur.push(x),
                            Some(x) => {
                                cur.push('\\');
                                cur.push(x);
                            }
                            None => return Err("has an unterminated double quote".into()),
                        },
                        Some(x) => cur.push(x),
                        None => return Err("has an unterminated double quote".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(x) = chars.next() {
                    cur.push(x);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_strings_and_ranges() {
        let v = json!({"a": "4", "b": -1, "c": "NaN", "d": 99, "e": [1], "f": 2.7, "g": 0.5});
        let mut r = Reader::new(v.as_object().unwrap());
        assert_eq!(r.number("a"), Some(4.0));
        assert_eq!(r.ranged("b", 5.0, Min::Above(0.0), 10.0), 5.0);
        assert_eq!(r.number("c"), None);
        assert_eq!(r.ranged("d", 1.0, Min::AtLeast(1.0), 20.0), 1.0);
        assert_eq!(r.number("e"), None);
        assert_eq!(r.ranged_int("f", 1, Min::Above(0.0), 9), 2);
        assert_eq!(r.ranged_int("g", 7, Min::Above(0.0), 9), 7, "0.5 is cut to 0");
        assert_eq!(r.number("missing"), None);
        let e = r.errors;
        assert_eq!(e["b"], ["must be greater than 0"]);
        assert_eq!(e["c"], ["is not a number"]);
        assert_eq!(e["d"], ["must be less than or equal to 20"]);
        assert_eq!(e["e"], ["is not a number"]);
        assert_eq!(e["g"], ["must be greater than 0"]);
        assert!(!e.contains_key("missing"));
    }

    #[test]
    fn base64_is_lenient_about_layout_only() {
        assert_eq!(decode_b64("aGVs\nbG8=\n").unwrap(), b"hello");
        assert_eq!(decode_b64("aGVsbG8").unwrap(), b"hello");
        assert!(decode_b64("not base64!").is_none());
    }

    #[test]
    fn command_lines_split_like_a_shell_without_expansion() {
        assert_eq!(
            shell_words(r#"a "b c" 'd e' f\ g $(rm -rf /); x"#).unwrap(),
            ["a", "b c", "d e", "f g", "(rm", "-rf", "/)", "x"]
        );
        assert_eq!(shell_words("  ").unwrap(), Vec::<String>::new());
        assert_eq!(shell_words("''").unwrap(), [""]);
        assert!(shell_words("'open").is_err());
    }
}
