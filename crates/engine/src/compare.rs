//! Output comparison: how a run's output is held against the expected one.
//!
//! [`Comparison`] is what a submission asks for (the native API's `compare`);
//! Judge0's rule (trailing whitespace and trailing blank lines do not count)
//! is the default. [`DefaultValidator`] is the default output validator of
//! the ICPC/Kattis problem package format, which the token modes use:
//!
//! Both files are split into tokens on runs of the six ASCII whitespace bytes
//! (space, `\f`, `\n`, `\r`, `\t`, `\v`) and compared token by token:
//! - strings match up to ASCII case unless `case_sensitive`;
//! - with a float tolerance, every answer token that parses as a number is
//!   compared numerically (`|s-a| <= abs` or `|s-a| <= rel*|a|`), and the
//!   team's token must parse as a number too;
//! - with `space_change_sensitive`, every whitespace run (leading and trailing
//!   included) must equal the answer's byte for byte.

/// How a run's output is compared with the expected output.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode", try_from = "RawComparison")]
pub enum Comparison {
    /// Judge0's rule: trailing whitespace of every line and trailing blank
    /// lines do not count.
    #[default]
    TrailingWhitespace,
    /// Byte for byte.
    Exact,
    /// Whitespace-separated tokens, byte for byte.
    Tokens,
    /// Whitespace-separated tokens, ASCII case ignored.
    CaseInsensitive,
    /// Tokens; a token of the expected output that is a number matches a
    /// number within either tolerance (at least one must be given).
    Float {
        /// `|got - want| <= relative * |want|` matches.
        #[serde(default)]
        relative: Option<f64>,
        /// `|got - want| <= absolute` matches.
        #[serde(default)]
        absolute: Option<f64>,
    },
    /// The same lines in any order (trailing whitespace of each line and
    /// trailing blank lines do not count).
    UnorderedLines,
}

/// A comparison as written: `{"mode": ..., "relative": ..., "absolute": ...}`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComparison {
    mode: String,
    #[serde(default)]
    relative: Option<f64>,
    #[serde(default)]
    absolute: Option<f64>,
}

impl TryFrom<RawComparison> for Comparison {
    type Error = String;

    fn try_from(r: RawComparison) -> Result<Comparison, String> {
        let c = match r.mode.as_str() {
            "trailing_whitespace" => Comparison::TrailingWhitespace,
            "exact" => Comparison::Exact,
            "tokens" => Comparison::Tokens,
            "case_insensitive" => Comparison::CaseInsensitive,
            "float" => Comparison::Float { relative: r.relative, absolute: r.absolute },
            "unordered_lines" => Comparison::UnorderedLines,
            m => {
                return Err(format!(
                    "mode {m:?} is not one of trailing_whitespace, exact, tokens, case_insensitive, float, \
                     unordered_lines"
                ))
            }
        };
        if !matches!(c, Comparison::Float { .. }) && (r.relative.is_some() || r.absolute.is_some()) {
            return Err(format!("relative and absolute apply only to mode float, not {}", r.mode));
        }
        c.validate()?;
        Ok(c)
    }
}

/// The largest tolerance a comparison may ask for.
const MAX_TOLERANCE: f64 = 1e9;

impl Comparison {
    /// Checks the parameters; Err says which and why.
    pub fn validate(&self) -> Result<(), String> {
        if let Comparison::Float { relative, absolute } = self {
            if relative.is_none() && absolute.is_none() {
                return Err("float needs relative or absolute (or both)".into());
            }
            for (name, v) in [("relative", relative), ("absolute", absolute)] {
                if let Some(v) = v {
                    if !(v.is_finite() && *v >= 0.0 && *v <= MAX_TOLERANCE) {
                        return Err(format!("{name} must be a number in [0, {MAX_TOLERANCE:e}], got {v}"));
                    }
                }
            }
        }
        Ok(())
    }

    /// Ok when `output` matches `expected`; Err says where it differs (for
    /// the modes that can tell).
    pub fn check(&self, output: &[u8], expected: &[u8]) -> Result<(), String> {
        match self {
            Comparison::TrailingWhitespace => {
                if trimmed_lines(output) == trimmed_lines(expected) {
                    Ok(())
                } else {
                    Err(first_line_difference(&trimmed_lines(output), &trimmed_lines(expected)))
                }
            }
            Comparison::Exact => {
                if output == expected {
                    return Ok(());
                }
                let at = output.iter().zip(expected).take_while(|(a, b)| a == b).count();
                Err(format!("differs at byte {}", at + 1))
            }
            Comparison::Tokens => {
                DefaultValidator { case_sensitive: true, ..DefaultValidator::default() }.check(output, expected)
            }
            Comparison::CaseInsensitive => DefaultValidator::default().check(output, expected),
            Comparison::Float { relative, absolute } => DefaultValidator {
                case_sensitive: true,
                float_relative: *relative,
                float_absolute: *absolute,
                ..DefaultValidator::default()
            }
            .check(output, expected),
            Comparison::UnorderedLines => {
                let (mut o, mut e) = (trimmed_lines(output), trimmed_lines(expected));
                o.sort_unstable();
                e.sort_unstable();
                if o == e {
                    return Ok(());
                }
                if o.len() != e.len() {
                    return count_check(o.len(), e.len(), "lines");
                }
                let mut count: std::collections::BTreeMap<&[u8], isize> = std::collections::BTreeMap::new();
                for l in &e {
                    *count.entry(l).or_default() += 1;
                }
                for l in &o {
                    *count.entry(l).or_default() -= 1;
                }
                let missing = count.iter().find(|(_, n)| **n > 0).map(|(l, _)| *l).unwrap_or_default();
                Err(format!("the line {} is missing", show(missing)))
            }
        }
    }
}

/// The lines without trailing whitespace, trailing blank lines left out.
pub fn trimmed_lines(text: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = text.split(|&b| b == b'\n').map(|l| l.trim_ascii_end()).collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

fn first_line_difference(out: &[&[u8]], want: &[&[u8]]) -> String {
    match out.iter().zip(want).position(|(o, w)| o != w) {
        Some(i) => format!("line {}: expected {}, got {}", i + 1, show(want[i]), show(out[i])),
        None => count_check(out.len(), want.len(), "lines").err().unwrap_or_default(),
    }
}

/// Parsed `validator_flags` / `output_validator_args` of the default validator.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DefaultValidator {
    /// Tokens must match byte for byte.
    pub case_sensitive: bool,
    /// Whitespace runs must match byte for byte.
    pub space_change_sensitive: bool,
    /// Relative float tolerance.
    pub float_relative: Option<f64>,
    /// Absolute float tolerance.
    pub float_absolute: Option<f64>,
}

const WHITESPACE: &[u8] = b" \x0c\n\r\t\x0b";

fn is_space(b: &u8) -> bool {
    WHITESPACE.contains(b)
}

impl DefaultValidator {
    /// Parses the arguments. Err names the argument and the reason: an unknown
    /// flag, a tolerance without a valid non-negative number, a tolerance given
    /// twice, or `float_tolerance` together with a specific one.
    pub fn from_args(args: &[String]) -> Result<DefaultValidator, String> {
        let mut v = DefaultValidator::default();
        let (mut rel_set, mut abs_set, mut both_set) = (false, false, false);
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "case_sensitive" => v.case_sensitive = true,
                "space_change_sensitive" => v.space_change_sensitive = true,
                "float_relative_tolerance" | "float_absolute_tolerance" | "float_tolerance" => {
                    let eps = tolerance(a, it.next())?;
                    let seen = match a.as_str() {
                        "float_relative_tolerance" => &mut rel_set,
                        "float_absolute_tolerance" => &mut abs_set,
                        _ => &mut both_set,
                    };
                    if std::mem::replace(seen, true) {
                        return Err(format!("{a} is given more than once"));
                    }
                    if both_set && (rel_set || abs_set) {
                        return Err("float_tolerance cannot be combined with float_relative_tolerance or float_absolute_tolerance".into());
                    }
                    if a != "float_absolute_tolerance" {
                        v.float_relative = Some(eps);
                    }
                    if a != "float_relative_tolerance" {
                        v.float_absolute = Some(eps);
                    }
                }
                other => return Err(format!("unknown default validator argument {other:?}")),
            }
        }
        Ok(v)
    }

    /// Ok when `output` is a correct answer; Err says where it differs.
    pub fn check(&self, output: &[u8], answer: &[u8]) -> Result<(), String> {
        if self.space_change_sensitive {
            let (out, ans) = (runs(output), runs(answer));
            for (i, (o, a)) in out.iter().zip(&ans).enumerate() {
                let same = match (o.first().is_some_and(is_space), a.first().is_some_and(is_space)) {
                    (true, true) => o == a,
                    (false, false) => {
                        self.token(o, a).map_err(|e| format!("{e} (at piece {})", i + 1))?;
                        true
                    }
                    _ => false,
                };
                if !same {
                    return Err(format!(
                        "whitespace differs at piece {}: expected {}, got {}",
                        i + 1,
                        show(a),
                        show(o)
                    ));
                }
            }
            return count_check(out.len(), ans.len(), "pieces of text and whitespace");
        }
        let out: Vec<&[u8]> = output.split(is_space).filter(|t| !t.is_empty()).collect();
        let ans: Vec<&[u8]> = answer.split(is_space).filter(|t| !t.is_empty()).collect();
        for (i, (o, a)) in out.iter().zip(&ans).enumerate() {
            self.token(o, a).map_err(|e| format!("token {}: {e}", i + 1))?;
        }
        count_check(out.len(), ans.len(), "tokens")
    }

    fn token(&self, o: &[u8], a: &[u8]) -> Result<(), String> {
        if self.float_relative.is_some() || self.float_absolute.is_some() {
            if let Some(av) = number(a) {
                let Some(ov) = number(o) else {
                    return Err(format!("expected the number {}, got {}", show(a), show(o)));
                };
                let diff = (ov - av).abs();
                let ok = av == ov
                    || self.float_absolute.is_some_and(|e| diff <= e)
                    || self.float_relative.is_some_and(|e| diff <= e * av.abs());
                return if ok {
                    Ok(())
                } else {
                    Err(format!("expected {}, got {} (difference {diff:e})", show(a), show(o)))
                };
            }
        }
        let ok = if self.case_sensitive { o == a } else { o.eq_ignore_ascii_case(a) };
        if ok {
            Ok(())
        } else {
            Err(format!("expected {}, got {}", show(a), show(o)))
        }
    }
}

fn tolerance(flag: &str, value: Option<&String>) -> Result<f64, String> {
    let v = value.ok_or_else(|| format!("{flag} needs a value"))?;
    match v.parse::<f64>() {
        Ok(e) if e.is_finite() && e >= 0.0 => Ok(e),
        _ => Err(format!("{flag} must be a non-negative number, got {v:?}")),
    }
}

fn count_check(got: usize, want: usize, what: &str) -> Result<(), String> {
    match got.cmp(&want) {
        std::cmp::Ordering::Equal => Ok(()),
        std::cmp::Ordering::Less => Err(format!("output ends early: {got} {what}, the answer has {want}")),
        std::cmp::Ordering::Greater => Err(format!("output goes on: {got} {what}, the answer has {want}")),
    }
}

/// A token as a floating-point number (IEEE 754 external forms, such as
/// `1e-3`, `.5`, `-0`, `inf`); NaN never compares equal.
fn number(t: &[u8]) -> Option<f64> {
    std::str::from_utf8(t).ok()?.parse::<f64>().ok().filter(|v| !v.is_nan())
}

/// Alternating runs of whitespace and non-whitespace.
fn runs(text: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=text.len() {
        if i == text.len() || is_space(&text[i]) != is_space(&text[start]) {
            out.push(&text[start..i]);
            start = i;
        }
    }
    out
}

/// A token for a message: quoted, escaped, cut at 40 bytes.
fn show(t: &[u8]) -> String {
    let cut = &t[..t.len().min(40)];
    let s = format!("{:?}", String::from_utf8_lossy(cut));
    if t.len() > 40 {
        format!("{s}…")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_comparison_mode_accepts_what_it_should_and_says_where_it_differs() {
        let tw = Comparison::TrailingWhitespace;
        assert!(tw.check(b"1 2  \n3\n\n\n", b"1 2\n3").is_ok());
        assert!(tw.check(b"a\r\nb\r\n", b"a\nb\n").is_ok());
        assert_eq!(tw.check(b" a\n", b"a\n").unwrap_err(), "line 1: expected \"a\", got \" a\"");
        assert!(tw.check(b"a\n\nb", b"a\nb").is_err(), "inner blank lines count");
        assert!(tw.check(b"", b"\n\n").is_ok());
        assert!(Comparison::Exact.check(b"a\n", b"a\n").is_ok());
        assert_eq!(Comparison::Exact.check(b"a \n", b"a\n").unwrap_err(), "differs at byte 2");
        assert!(Comparison::Tokens.check(b"  1\n2 \t3", b"1 2 3\n").is_ok());
        assert!(Comparison::Tokens.check(b"YES", b"yes").is_err());
        assert!(Comparison::CaseInsensitive.check(b"YES\n", b"yes").is_ok());
        let f = Comparison::Float { relative: None, absolute: Some(1e-6) };
        assert!(f.validate().is_ok());
        assert!(f.check(b"0.3333333 x", b"0.333333333 x").is_ok());
        assert!(f.check(b"0.3334", b"0.333333333").unwrap_err().contains("token 1"));
        assert!(f.check(b"0.3333333 X", b"0.333333333 x").is_err(), "words are compared exactly");
        let u = Comparison::UnorderedLines;
        assert!(u.check(b"b\na  \nc\n", b"a\nb\nc").is_ok());
        assert!(u.check(b"a\na\nb", b"a\nb\nb").unwrap_err().contains("\"b\" is missing"));
        assert!(u.check(b"a\nb", b"a\nb\nc").is_err());
    }

    #[test]
    fn a_comparison_reads_from_json_and_refuses_bad_parameters() {
        let c: Comparison = serde_json::from_str(r#"{"mode":"float","relative":1e-6}"#).unwrap();
        assert_eq!(c, Comparison::Float { relative: Some(1e-6), absolute: None });
        let c: Comparison = serde_json::from_str(r#"{"mode":"unordered_lines"}"#).unwrap();
        assert_eq!(c, Comparison::UnorderedLines);
        assert!(serde_json::from_str::<Comparison>(r#"{"mode":"fuzzy"}"#).is_err());
        assert!(serde_json::from_str::<Comparison>(r#"{"mode":"exact","x":1}"#).is_err());
        let e = serde_json::from_str::<Comparison>(r#"{"mode":"tokens","relative":1}"#).unwrap_err().to_string();
        assert!(e.contains("relative and absolute apply only to mode float"), "{e}");
        let e = serde_json::from_str::<Comparison>(r#"{"mode":"float"}"#).unwrap_err().to_string();
        assert!(e.contains("float needs relative or absolute"), "{e}");
        let none = Comparison::Float { relative: None, absolute: None };
        assert_eq!(none.validate().unwrap_err(), "float needs relative or absolute (or both)");
        let neg = Comparison::Float { relative: Some(-1.0), absolute: None };
        assert!(neg.validate().unwrap_err().starts_with("relative must be a number in [0,"));
    }

    fn v(args: &str) -> DefaultValidator {
        let a: Vec<String> = args.split_whitespace().map(str::to_owned).collect();
        DefaultValidator::from_args(&a).unwrap()
    }

    #[test]
    fn tokens_ignore_whitespace_amount_and_case_by_default() {
        let d = v("");
        assert!(d.check(b"  Hello\t\tWORLD\r\n\n", b"hello world\n").is_ok());
        assert!(d.check(b"1\x0b2\x0c3", b"1 2 3").is_ok());
        assert!(d.check(b"", b"\n \n").is_ok(), "both empty");
        let e = d.check(b"1 2", b"1 2 3").unwrap_err();
        assert!(e.contains("ends early"), "{e}");
        assert!(d.check(b"1 2 3 4", b"1 2 3").unwrap_err().contains("goes on"));
        assert!(d.check(b"1 3", b"1 2").unwrap_err().starts_with("token 2"));
        // Non-ASCII letters are not folded.
        assert!(d.check("É".as_bytes(), "é".as_bytes()).is_err());
    }

    #[test]
    fn case_sensitive_compares_bytes() {
        let d = v("case_sensitive");
        assert!(d.check(b"Yes", b"Yes").is_ok());
        assert!(d.check(b"yes", b"Yes").is_err());
    }

    #[test]
    fn without_a_tolerance_numbers_are_strings() {
        let d = v("");
        assert!(d.check(b"1.0", b"1").is_err());
        assert!(d.check(b"0.0314", b"3.14e-2").is_err());
    }

    #[test]
    fn float_tolerances_accept_within_either() {
        let d = v("float_tolerance 1e-6");
        assert!(d.check(b"3.14000000e-2", b"0.0314").is_ok(), "any float formatting");
        assert!(d.check(b"1.0000009", b"1").is_ok());
        assert!(d.check(b"1.00001", b"1").is_err());
        assert!(d.check(b"abc", b"1").unwrap_err().contains("expected the number"));
        // Relative only: large numbers get a large window, zero gets none.
        let r = v("float_relative_tolerance 1e-3");
        assert!(r.check(b"1000.9", b"1000").is_ok());
        assert!(r.check(b"0.0000001", b"0").is_err());
        assert!(r.check(b"0", b"0").is_ok());
        // Absolute only.
        let a = v("float_absolute_tolerance 0.5");
        assert!(a.check(b"1000.4", b"1000").is_ok());
        assert!(a.check(b"1000.6", b"1000").is_err());
        // Both: within either one is enough.
        let b = v("float_absolute_tolerance 0.01 float_relative_tolerance 0.1");
        assert!(b.check(b"105", b"100").is_ok());
        assert!(b.check(b"0.005", b"0").is_ok());
        assert!(b.check(b"0.02", b"0").is_err());
        // Non-numeric answer tokens stay string tokens, case-insensitive.
        assert!(d_str().check(b"YES 1.0000001", b"yes 1").is_ok());
        // NaN is no number: as an answer it is a string token, as output it never matches a number.
        assert!(a.check(b"NaN", b"nan").is_ok());
        assert!(a.check(b"nan", b"1").is_err());
        assert!(a.check(b"inf", b"inf").is_ok());
        assert!(a.check(b"-inf", b"inf").is_err());
    }

    fn d_str() -> DefaultValidator {
        v("float_tolerance 1e-6")
    }

    #[test]
    fn space_change_sensitive_checks_every_run() {
        let d = v("space_change_sensitive");
        assert!(d.check(b"1 2\n", b"1 2\n").is_ok());
        assert!(d.check(b"1  2\n", b"1 2\n").unwrap_err().contains("whitespace differs"));
        assert!(d.check(b"1 2", b"1 2\n").is_err(), "missing trailing newline");
        assert!(d.check(b" 1 2\n", b"1 2\n").is_err(), "leading space");
        assert!(d.check(b"1\t2\n", b"1 2\n").is_err(), "type of whitespace");
        assert!(d.check(b"A 2\n", b"a 2\n").is_ok(), "still case-insensitive");
        assert!(d.check(b"", b"").is_ok());
    }

    #[test]
    fn bad_arguments_are_refused_with_a_reason() {
        let e = |s: &str| {
            let a: Vec<String> = s.split_whitespace().map(str::to_owned).collect();
            DefaultValidator::from_args(&a).unwrap_err()
        };
        assert!(e("float_tolerance").contains("needs a value"));
        assert!(e("float_tolerance x").contains("non-negative number"));
        assert!(e("float_tolerance -1").contains("non-negative number"));
        assert!(e("float_tolerance 1 float_tolerance 2").contains("more than once"));
        assert!(e("float_tolerance 1 float_absolute_tolerance 2").contains("cannot be combined"));
        assert!(e("float_relative_tolerance 1 float_tolerance 2").contains("cannot be combined"));
        assert!(e("ignore_case").contains("unknown"));
        assert_eq!(v("float_tolerance 0.5").float_relative, Some(0.5));
        assert_eq!(v("float_tolerance 0.5").float_absolute, Some(0.5));
    }
}
