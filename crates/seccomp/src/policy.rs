//! The deny-list as data: parsing `policy.toml` and validating every rule.
//!
//! Raw serde structs take the TOML as written (everything optional, so a
//! missing field is reported by rule rather than by line); `validate` turns
//! each into a [`Rule`] whose syscall number, action and conditions are known
//! good. The format is documented at the top of the crate's `policy.toml`.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

use crate::error::{Error, RuleError};
use crate::syscalls;

/// The policy shipped with Flash.
const SHIPPED: &str = include_str!("../policy.toml");

/// At most this many conditions per rule and values per `one_of`/`none_of`,
/// which keeps every compiled rule within BPF's 8-bit jump range.
const MAX_CONDITIONS: usize = 6;
const MAX_VALUES: usize = 8;

/// Errnos a policy may name; others can be given as numbers.
const ERRNO_NAMES: &[(&str, i32)] = &[
    ("EPERM", libc::EPERM),
    ("ENOENT", libc::ENOENT),
    ("EACCES", libc::EACCES),
    ("EINVAL", libc::EINVAL),
    ("ENOSYS", libc::ENOSYS),
    ("EOPNOTSUPP", libc::EOPNOTSUPP),
    ("EAFNOSUPPORT", libc::EAFNOSUPPORT),
    ("EPROTONOSUPPORT", libc::EPROTONOSUPPORT),
];

/// Which set of rules a box gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// Untrusted programs: every rule applies.
    Default,
    /// A debugger traces the program inside the box: `ptrace` and
    /// `personality` are allowed.
    Debugger,
}

impl Profile {
    pub const ALL: [Profile; 2] = [Profile::Default, Profile::Debugger];

    /// The name used in `policy.toml` (`allow_in`) and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Default => "default",
            Profile::Debugger => "debugger",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Profile {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Profile::ALL.into_iter().find(|p| p.name() == s).ok_or_else(|| Error::UnknownProfile(s.to_owned()))
    }
}

/// What a matching rule does to the syscall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The syscall fails with this errno (1..=4095) and has no effect.
    Errno(u16),
    /// The whole process is killed with SIGSYS.
    KillProcess,
}

impl Action {
    /// The `SECCOMP_RET_*` value the filter returns.
    pub fn seccomp_ret(self) -> u32 {
        match self {
            Action::Errno(e) => libc::SECCOMP_RET_ERRNO | u32::from(e),
            Action::KillProcess => libc::SECCOMP_RET_KILL_PROCESS,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Action::Errno(e) => match ERRNO_NAMES.iter().find(|&&(_, n)| n == i32::from(e)) {
                Some((name, _)) => write!(f, "errno {name}"),
                None => write!(f, "errno {e}"),
            },
            Action::KillProcess => f.write_str("kill process"),
        }
    }
}

/// One test on one syscall argument, on all 64 bits of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgTest {
    /// `(arg & mask) != 0`.
    AnyBits(u64),
    /// `arg` equals one of the values.
    OneOf(Vec<u64>),
    /// `arg` equals none of the values.
    NoneOf(Vec<u64>),
}

/// A condition of a rule: `test` holds for argument number `arg` (0..=5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub arg: usize,
    pub test: ArgTest,
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let arg = self.arg;
        match &self.test {
            ArgTest::AnyBits(mask) => write!(f, "arg{arg} & {mask:#x} != 0"),
            ArgTest::OneOf(v) => write!(f, "arg{arg} in {}", hex_list(v)),
            ArgTest::NoneOf(v) => write!(f, "arg{arg} not in {}", hex_list(v)),
        }
    }
}

fn hex_list(values: &[u64]) -> String {
    let items: Vec<String> = values.iter().map(|v| format!("{v:#x}")).collect();
    format!("[{}]", items.join(", "))
}

/// A validated rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    syscall: String,
    nr: i64,
    action: Action,
    conditions: Vec<Condition>,
    allow_in: Vec<Profile>,
    reason: String,
}

impl Rule {
    pub fn syscall(&self) -> &str {
        &self.syscall
    }
    /// The x86_64 syscall number.
    pub fn nr(&self) -> i64 {
        self.nr
    }
    pub fn action(&self) -> Action {
        self.action
    }
    /// All must hold for the rule to apply; empty means always.
    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }
    pub fn reason(&self) -> &str {
        &self.reason
    }
    /// Whether the rule is part of `profile`'s filter.
    pub fn applies_to(&self, profile: Profile) -> bool {
        !self.allow_in.contains(&profile)
    }
}

/// A parsed and validated deny-list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    rules: Vec<Rule>,
}

impl Policy {
    /// The policy compiled into the binary (`policy.toml`).
    pub fn shipped() -> Result<Policy, Error> {
        Policy::from_toml(SHIPPED)
    }

    /// Parses and validates a policy in the `policy.toml` format.
    pub fn from_toml(s: &str) -> Result<Policy, Error> {
        let raw: RawPolicy = toml::from_str(s)?;
        let rules = raw.rule.into_iter().enumerate().map(|(i, r)| r.validate(i + 1)).collect::<Result<_, _>>()?;
        Ok(Policy { rules })
    }

    /// Every rule in file order, for `flash check` and documentation.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rules of `profile`'s filter, in order.
    pub fn rules_for(&self, profile: Profile) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(move |r| r.applies_to(profile))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    rule: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    syscall: Option<String>,
    action: Option<toml::Value>,
    #[serde(default)]
    when: Vec<RawCondition>,
    #[serde(default)]
    allow_in: Vec<String>,
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    arg: Option<i64>,
    any_bits: Option<u64>,
    one_of: Option<Vec<u64>>,
    none_of: Option<Vec<u64>>,
}

impl RawRule {
    fn validate(self, index: usize) -> Result<Rule, Error> {
        let name = self.syscall.clone().unwrap_or_else(|| "?".to_owned());
        let fail = |problem| Error::Rule { index, syscall: name.clone(), problem };
        let syscall = self.syscall.ok_or_else(|| fail(RuleError::MissingSyscall))?;
        let nr = syscalls::number(&syscall).ok_or_else(|| fail(RuleError::UnknownSyscall))?;
        let reason = self.reason.map(|r| r.trim().to_owned()).unwrap_or_default();
        if reason.is_empty() {
            return Err(fail(RuleError::MissingReason));
        }
        let action = parse_action(self.action.as_ref()).map_err(fail)?;
        if self.when.len() > MAX_CONDITIONS {
            let msg = format!("at most {MAX_CONDITIONS} conditions per rule");
            return Err(fail(RuleError::BadCondition(msg)));
        }
        let conditions = self.when.into_iter().map(RawCondition::validate).collect::<Result<_, _>>().map_err(&fail)?;
        let allow_in = self
            .allow_in
            .iter()
            .map(|p| p.parse().map_err(|_| RuleError::UnknownProfile(p.clone())))
            .collect::<Result<_, _>>()
            .map_err(&fail)?;
        Ok(Rule { syscall, nr, action, conditions, allow_in, reason })
    }
}

impl RawCondition {
    fn validate(self) -> Result<Condition, RuleError> {
        let bad = |msg: &str| RuleError::BadCondition(msg.to_owned());
        let arg = match self.arg {
            Some(a @ 0..=5) => a as usize,
            Some(_) => return Err(bad("`arg` must be 0..=5")),
            None => return Err(bad("missing `arg`")),
        };
        let test = match (self.any_bits, self.one_of, self.none_of) {
            (Some(0), None, None) => return Err(bad("`any_bits = 0` never matches")),
            (Some(mask), None, None) => ArgTest::AnyBits(mask),
            (None, Some(v), None) => ArgTest::OneOf(check_values(v)?),
            (None, None, Some(v)) => ArgTest::NoneOf(check_values(v)?),
            _ => return Err(bad("give exactly one of `any_bits`, `one_of`, `none_of`")),
        };
        Ok(Condition { arg, test })
    }
}

fn check_values(values: Vec<u64>) -> Result<Vec<u64>, RuleError> {
    if values.is_empty() || values.len() > MAX_VALUES {
        let msg = format!("a value list needs 1..={MAX_VALUES} values");
        return Err(RuleError::BadCondition(msg));
    }
    Ok(values)
}

/// `None` means EPERM, the deny-list's default.
fn parse_action(value: Option<&toml::Value>) -> Result<Action, RuleError> {
    let bad = |msg: String| RuleError::BadAction(msg);
    let Some(value) = value else {
        return Ok(Action::Errno(libc::EPERM as u16));
    };
    if value.as_str() == Some("kill") {
        return Ok(Action::KillProcess);
    }
    let errno = value
        .as_table()
        .filter(|t| t.len() == 1)
        .and_then(|t| t.get("errno"))
        .ok_or_else(|| bad(format!("expected \"kill\" or {{ errno = ... }}, got {value}")))?;
    let number = match errno {
        toml::Value::Integer(n) => *n,
        toml::Value::String(s) => ERRNO_NAMES
            .iter()
            .find(|&&(name, _)| name == s)
            .map(|&(_, n)| i64::from(n))
            .ok_or_else(|| bad(format!("unknown errno name {s:?} (use its number)")))?,
        other => return Err(bad(format!("errno must be a name or number, got {other}"))),
    };
    // The kernel caps SECCOMP_RET_ERRNO data at MAX_ERRNO; 0 would fake success.
    match u16::try_from(number) {
        Ok(n @ 1..=4095) => Ok(Action::Errno(n)),
        _ => Err(bad(format!("errno {number} is outside 1..=4095"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule_error(toml: &str) -> (usize, String, RuleError) {
        match Policy::from_toml(toml) {
            Err(Error::Rule { index, syscall, problem }) => (index, syscall, problem),
            other => panic!("expected a rule error, got {other:?}"),
        }
    }

    #[test]
    fn shipped_policy_loads_and_every_rule_has_a_reason() {
        let policy = Policy::shipped().unwrap();
        assert!(policy.rules().len() > 50);
        for rule in policy.rules() {
            assert!(!rule.reason().trim().is_empty(), "{}", rule.syscall());
        }
    }

    #[test]
    fn shipped_clone_mask_is_the_namespace_flags_and_spares_the_exit_signal() {
        let policy = Policy::shipped().unwrap();
        let clone = policy.rules().iter().find(|r| r.syscall() == "clone");
        let expected = libc::CLONE_NEWNS
            | libc::CLONE_NEWCGROUP
            | libc::CLONE_NEWUTS
            | libc::CLONE_NEWIPC
            | libc::CLONE_NEWUSER
            | libc::CLONE_NEWPID
            | libc::CLONE_NEWNET;
        let test = &clone.unwrap().conditions()[0].test;
        assert_eq!(*test, ArgTest::AnyBits(expected as u64));
        assert_eq!(expected & libc::CSIGNAL, 0);
    }

    #[test]
    fn unknown_syscall_names_the_rule() {
        let toml = "[[rule]]\nsyscall = \"mount\"\nreason = \"r\"\n\
                    [[rule]]\nsyscall = \"mountt\"\nreason = \"r\"\n";
        assert_eq!(rule_error(toml), (2, "mountt".to_owned(), RuleError::UnknownSyscall));
        let msg = Policy::from_toml(toml).unwrap_err().to_string();
        assert!(msg.contains("#2") && msg.contains("mountt"), "{msg}");
    }

    #[test]
    fn missing_or_blank_reason_names_the_rule() {
        let missing = "[[rule]]\nsyscall = \"bpf\"\n";
        assert_eq!(rule_error(missing), (1, "bpf".to_owned(), RuleError::MissingReason));
        let blank = "[[rule]]\nsyscall = \"bpf\"\nreason = \"  \"\n";
        assert_eq!(rule_error(blank).2, RuleError::MissingReason);
    }

    #[test]
    fn actions_parse() {
        let cases = [
            ("", Action::Errno(1)),
            ("action = \"kill\"", Action::KillProcess),
            ("action = { errno = \"ENOSYS\" }", Action::Errno(38)),
            ("action = { errno = 13 }", Action::Errno(13)),
        ];
        for (line, want) in cases {
            let toml = format!("[[rule]]\nsyscall = \"bpf\"\nreason = \"r\"\n{line}\n");
            let policy = Policy::from_toml(&toml).unwrap();
            assert_eq!(policy.rules()[0].action(), want, "{line}");
        }
    }

    #[test]
    fn bad_actions_are_refused() {
        for line in [
            "action = \"allow\"",
            "action = { errno = 0 }",
            "action = { errno = 5000 }",
            "action = { errno = \"EFOO\" }",
            "action = { errno = 1, extra = 2 }",
        ] {
            let toml = format!("[[rule]]\nsyscall = \"bpf\"\nreason = \"r\"\n{line}\n");
            assert!(matches!(rule_error(&toml).2, RuleError::BadAction(_)), "{line}");
        }
    }

    #[test]
    fn bad_conditions_are_refused() {
        for when in [
            "[{ arg = 6, any_bits = 1 }]",
            "[{ any_bits = 1 }]",
            "[{ arg = 0, any_bits = 0 }]",
            "[{ arg = 0, one_of = [] }]",
            "[{ arg = 0, one_of = [1], none_of = [2] }]",
            "[{ arg = 0, one_of = [1, 2, 3, 4, 5, 6, 7, 8, 9] }]",
        ] {
            let toml = format!("[[rule]]\nsyscall = \"clone\"\nreason = \"r\"\nwhen = {when}\n");
            assert!(matches!(rule_error(&toml).2, RuleError::BadCondition(_)), "{when}");
        }
    }

    #[test]
    fn profiles_in_allow_in_are_checked() {
        let toml = "[[rule]]\nsyscall = \"ptrace\"\nreason = \"r\"\nallow_in = [\"gdb\"]\n";
        assert_eq!(rule_error(toml).2, RuleError::UnknownProfile("gdb".to_owned()));
        let toml = "[[rule]]\nsyscall = \"ptrace\"\nreason = \"r\"\nallow_in = [\"debugger\"]\n";
        let policy = Policy::from_toml(toml).unwrap();
        let rule = &policy.rules()[0];
        assert!(rule.applies_to(Profile::Default));
        assert!(!rule.applies_to(Profile::Debugger));
    }

    #[test]
    fn misspelt_keys_are_refused() {
        let toml = "[[rule]]\nsyscall = \"bpf\"\nreson = \"r\"\n";
        assert!(matches!(Policy::from_toml(toml), Err(Error::Parse(_))));
    }

    #[test]
    fn profiles_and_rules_display() {
        assert_eq!("debugger".parse::<Profile>().unwrap(), Profile::Debugger);
        assert!("gdb".parse::<Profile>().is_err());
        assert_eq!(Action::Errno(38).to_string(), "errno ENOSYS");
        assert_eq!(Action::Errno(99).to_string(), "errno 99");
        let cond = Condition { arg: 0, test: ArgTest::NoneOf(vec![0, 0xffff_ffff]) };
        assert_eq!(cond.to_string(), "arg0 not in [0x0, 0xffffffff]");
    }
}
