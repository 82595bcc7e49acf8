//! Policy to BPF. The generated program is, in order:
//!
//! 1. **Arch check.** `arch != AUDIT_ARCH_X86_64` kills the process. This is
//!    what stops the 32-bit `int 0x80` entry, whose syscall numbers differ
//!    (i386 `getpid` is 20, x86_64 20 is `writev`), so no rule below would
//!    match them.
//! 2. **x32 check.** `nr >= 0x40000000` kills the process, except `nr == -1`
//!    (a tracer's "skip this syscall", which the kernel answers with ENOSYS;
//!    libseccomp lets it through too).
//! 3. **One block per rule** of the profile, in file order:
//!    `jeq nr, <rule's nr>, 0, <skip>`, then each condition (jumping to
//!    `<skip>` when it fails), then `ret <action>`. Every jump stays inside its
//!    block, so 8-bit offsets always suffice.
//! 4. `ret ALLOW`.
//!
//! Only rules with conditions load arguments, so for every other syscall the
//! path reads just `arch` and `nr`; the kernel then proves the result constant
//! at install time and skips the filter for it (its seccomp action cache).

use libc::sock_filter;

use crate::bpf::{self, Block, Cmp, Label, Target};
use crate::bpf::{AUDIT_ARCH_X86_64, OFF_ARCH, OFF_NR, X32_SYSCALL_BIT};
use crate::error::{Error, RuleError};
use crate::policy::{ArgTest, Condition, Policy, Profile, Rule};
use crate::Program;

/// The kernel's limit on a filter's length (`BPF_MAXINSNS`).
const MAX_LEN: usize = libc::BPF_MAXINSNS as usize;

impl Policy {
    /// Compiles the rules of `profile` into a seccomp filter.
    pub fn compile(&self, profile: Profile) -> Result<Program, Error> {
        let mut code: Vec<sock_filter> = finish(prologue());
        // After the prologue, and after any rule without conditions, the
        // accumulator still holds `nr`; a rule that loaded an argument must
        // leave the next block to reload it.
        let mut acc_holds_nr = true;
        for (i, rule) in self.rules().iter().enumerate() {
            if !rule.applies_to(profile) {
                continue;
            }
            let block = rule_block(rule, acc_holds_nr).finish();
            code.extend(block.map_err(|_| Error::Rule {
                index: i + 1,
                syscall: rule.syscall().to_owned(),
                problem: RuleError::TooLong,
            })?);
            acc_holds_nr = rule.conditions().is_empty();
        }
        let mut allow = Block::default();
        allow.ret(libc::SECCOMP_RET_ALLOW);
        code.extend(finish(allow));
        if code.len() > MAX_LEN {
            return Err(Error::ProgramTooLong { profile, len: code.len(), max: MAX_LEN });
        }
        Ok(Program::new(profile, code))
    }
}

/// For the fixed blocks, whose few jumps are short by construction.
fn finish(block: Block) -> Vec<sock_filter> {
    block.finish().expect("fixed blocks have short jumps")
}

fn prologue() -> Block {
    let mut b = Block::default();
    let (kill, rules) = (b.label(), b.label());
    b.load(OFF_ARCH);
    b.jump(Cmp::Eq, AUDIT_ARCH_X86_64, Target::Next, Target::To(kill));
    b.load(OFF_NR);
    b.jump(Cmp::Ge, X32_SYSCALL_BIT, Target::Next, Target::To(rules));
    b.jump(Cmp::Eq, u32::MAX, Target::To(rules), Target::To(kill));
    b.bind(kill);
    b.ret(libc::SECCOMP_RET_KILL_PROCESS);
    b.bind(rules);
    b
}

fn rule_block(rule: &Rule, acc_holds_nr: bool) -> Block {
    let mut b = Block::default();
    let skip = b.label();
    if !acc_holds_nr {
        b.load(OFF_NR);
    }
    // Syscall numbers are small and non-negative, so `as u32` is exact.
    b.jump(Cmp::Eq, rule.nr() as u32, Target::Next, Target::To(skip));
    for cond in rule.conditions() {
        condition(&mut b, cond, skip);
    }
    b.ret(rule.action().seccomp_ret());
    b.bind(skip);
    b
}

/// Falls through when `cond` holds, jumps to `fail` otherwise. Arguments are
/// 64-bit and BPF loads 32 bits at a time, so each half is tested; a mask
/// half that is zero is not loaded at all.
fn condition(b: &mut Block, cond: &Condition, fail: Label) {
    let holds = b.label();
    match &cond.test {
        ArgTest::AnyBits(mask) => {
            let (lo, hi) = halves(*mask);
            if lo != 0 {
                let miss = if hi != 0 { Target::Next } else { Target::To(fail) };
                b.load(bpf::off_arg_lo(cond.arg));
                b.jump(Cmp::Set, lo, Target::To(holds), miss);
            }
            if hi != 0 {
                b.load(bpf::off_arg_hi(cond.arg));
                b.jump(Cmp::Set, hi, Target::To(holds), Target::To(fail));
            }
        }
        ArgTest::OneOf(values) => member(b, cond.arg, values, holds, fail),
        ArgTest::NoneOf(values) => member(b, cond.arg, values, fail, holds),
    }
    b.bind(holds);
}

/// Jumps to `found` when argument `arg` equals one of `values` (all 64 bits),
/// to `absent` otherwise.
fn member(b: &mut Block, arg: usize, values: &[u64], found: Label, absent: Label) {
    for (i, &value) in values.iter().enumerate() {
        let last = i + 1 == values.len();
        let next = if last { absent } else { b.label() };
        let (lo, hi) = halves(value);
        b.load(bpf::off_arg_hi(arg));
        b.jump(Cmp::Eq, hi, Target::Next, Target::To(next));
        b.load(bpf::off_arg_lo(arg));
        b.jump(Cmp::Eq, lo, Target::To(found), Target::To(next));
        if !last {
            b.bind(next);
        }
    }
}

fn halves(v: u64) -> (u32, u32) {
    (v as u32, (v >> 32) as u32)
}

#[cfg(test)]
#[path = "compile_tests.rs"]
mod tests;
