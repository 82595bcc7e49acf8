//! The default output validator of the ICPC/Kattis problem package format.
//!
//! Both files are split into tokens on runs of the six ASCII whitespace bytes
//! (space, `\f`, `\n`, `\r`, `\t`, `\v`) and compared token by token:
//! - strings match up to ASCII case unless `case_sensitive`;
//! - with a float tolerance, every answer token that parses as a number is
//!   compared numerically (`|s-a| <= abs` or `|s-a| <= rel*|a|`), and the
//!   team's token must parse as a number too;
//! - with `space_change_sensitive`, every whitespace run (leading and trailing
//!   included) must equal the answer's byte for byte.

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
