//! Policy to BPF. The generated program is, in order:
//!
//! 1. **Arch check.** `arch != AUDIT_ARCH_X86_64` kills the process. This is
//!    what stops the 32-bit `int 0x80` entry, whose syscall numbers differ
//!    (i386 `getpid` is 20, x86_64 20 is `writev`), so no rule below would
//!    match them.
//! 2. **x32 check.** `nr >= 0x40000000` kills the process, except `nr == -1`
//!    (a tracer's "skip this syscall", which the kernel answers with ENOSYS;
//!    libseccomp lets it through too).
//! 3. **Dispatch on `nr`**: a binary search over the syscalls the profile has
//!    rules for (`jge` at each node), ending in short runs of `jeq`. A syscall
//!    without rules reaches `ret ALLOW` there. A syscall whose first rule has
//!    no conditions returns its action right after its `jeq`; any other jumps
//!    (`ja`, a 32-bit offset) to its own block below.
//! 4. **One block per syscall with conditions**: its rules in file order, each
//!    its conditions (jumping past the rule when one fails) then `ret <action>`,
//!    and `ret ALLOW` when none matched. Every conditional jump stays inside
//!    one rule, so 8-bit offsets suffice; the dispatch uses `ja` where a
//!    subtree is longer than that.
//!
//! The order of rules matters only between rules of the same syscall, so
//! grouping them by syscall keeps the policy's meaning (the first rule that
//! matches decides).
//!
//! Why a search and not one `jeq` per rule in file order: the kernel, when it
//! installs a filter, runs it for every syscall number of every arch it knows
//! (about 900) to find those whose answer is a constant `ALLOW` (its seccomp
//! action cache), and it translates and JIT-compiles the program. With one
//! `jeq` per rule in file order (60 rules) the install took 151 us of every
//! run's start here (median of 300 runs), most of it walking that chain for
//! each number; the search takes at most a dozen steps per number, and the
//! install 87 us. Only
//! rules with conditions load arguments, so every syscall without rules still
//! reads just `arch` and `nr` and is cached as allowed.

use std::collections::BTreeMap;

use libc::sock_filter;

use crate::bpf::{self, Block, Cmp, Label, Target};
use crate::bpf::{AUDIT_ARCH_X86_64, OFF_ARCH, OFF_NR, X32_SYSCALL_BIT};
use crate::error::{Error, RuleError};
use crate::policy::{ArgTest, Condition, Policy, Profile, Rule};
use crate::Program;

/// The kernel's limit on a filter's length (`BPF_MAXINSNS`).
const MAX_LEN: usize = libc::BPF_MAXINSNS as usize;

/// Most syscalls compared one after the other at a leaf of the dispatch.
const RUN: usize = 4;

/// One instruction of the dispatch, before the blocks' positions are known.
enum Item {
    Insn(sock_filter),
    /// `ja` to the block of the syscall with this index in [`Policy::compile`]'s list.
    ToBlock(usize),
}

impl Policy {
    /// Compiles the rules of `profile` into a seccomp filter.
    pub fn compile(&self, profile: Profile) -> Result<Program, Error> {
        // The profile's rules by syscall, in file order within each.
        let mut by_nr: BTreeMap<u32, Vec<(usize, &Rule)>> = BTreeMap::new();
        for (i, rule) in self.rules().iter().enumerate() {
            if rule.applies_to(profile) {
                // Syscall numbers are small and non-negative, so `as u32` is exact.
                by_nr.entry(rule.nr() as u32).or_default().push((i, rule));
            }
        }
        let syscalls: Vec<(u32, Vec<(usize, &Rule)>)> = by_nr.into_iter().collect();
        let mut code: Vec<sock_filter> = finish(prologue());
        let dispatch = dispatch(&syscalls);
        let start = code.len();
        let mut blocks = vec![None; syscalls.len()];
        let mut at = start + dispatch.len();
        let mut tail = Vec::new();
        for (s, (_, rules)) in syscalls.iter().enumerate() {
            if rules[0].1.conditions().is_empty() {
                continue;
            }
            let block = syscall_block(rules)?;
            blocks[s] = Some(at);
            at += block.len();
            tail.extend(block);
        }
        for (i, item) in dispatch.into_iter().enumerate() {
            code.push(match item {
                Item::Insn(ins) => ins,
                Item::ToBlock(s) => {
                    let to = blocks[s].expect("a syscall with conditions has a block");
                    bpf::ja((to - (start + i + 1)) as u32)
                }
            });
        }
        code.extend(tail);
        if code.len() > MAX_LEN {
            return Err(Error::ProgramTooLong { profile, len: code.len(), max: MAX_LEN });
        }
        Ok(Program::new(profile, code))
    }
}

/// The binary search on `nr` (the accumulator) over `syscalls`, sorted by number.
fn dispatch(syscalls: &[(u32, Vec<(usize, &Rule)>)]) -> Vec<Item> {
    if syscalls.len() <= RUN {
        let mut out = Vec::new();
        for (s, (nr, rules)) in syscalls.iter().enumerate() {
            out.push(Item::Insn(bpf::jump(Cmp::Eq, *nr, 0, 1)));
            let first = rules[0].1;
            out.push(match first.conditions().is_empty() {
                true => Item::Insn(bpf::ret(first.action().seccomp_ret())),
                false => Item::ToBlock(s),
            });
        }
        out.push(Item::Insn(bpf::ret(libc::SECCOMP_RET_ALLOW)));
        return out;
    }
    let mid = syscalls.len() / 2;
    let (left, right) = (dispatch(&syscalls[..mid]), dispatch(&syscalls[mid..]));
    let shift = |items: Vec<Item>, by: usize| {
        items.into_iter().map(move |item| match item {
            Item::ToBlock(s) => Item::ToBlock(s + by),
            insn => insn,
        })
    };
    let pivot = syscalls[mid].0;
    let mut out = Vec::with_capacity(left.len() + right.len() + 2);
    match u8::try_from(left.len()) {
        // nr >= pivot: over the left half to the right one.
        Ok(len) => out.push(Item::Insn(bpf::jump(Cmp::Ge, pivot, len, 0))),
        Err(_) => {
            out.push(Item::Insn(bpf::jump(Cmp::Ge, pivot, 0, 1)));
            out.push(Item::Insn(bpf::ja(left.len() as u32)));
        }
    }
    out.extend(left);
    out.extend(shift(right, mid));
    out
}

/// The rules of one syscall whose first rule has conditions: each rule in
/// order, then `ret ALLOW`. A rule without conditions ends the block (what
/// follows it could never be reached).
fn syscall_block(rules: &[(usize, &Rule)]) -> Result<Vec<sock_filter>, Error> {
    let mut code = Vec::new();
    for &(i, rule) in rules {
        let mut b = Block::default();
        let skip = b.label();
        for cond in rule.conditions() {
            condition(&mut b, cond, skip);
        }
        b.ret(rule.action().seccomp_ret());
        b.bind(skip);
        code.extend(b.finish().map_err(|_| Error::Rule {
            index: i + 1,
            syscall: rule.syscall().to_owned(),
            problem: RuleError::TooLong,
        })?);
        if rule.conditions().is_empty() {
            return Ok(code);
        }
    }
    code.push(bpf::ret(libc::SECCOMP_RET_ALLOW));
    Ok(code)
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
