//! Just enough classic BPF for seccomp: an assembler with labels, an
//! interpreter, and a disassembler.
//!
//! The assembler works on one [`Block`] at a time. Jumps name labels; `finish`
//! turns them into the 8-bit forward offsets of `jt`/`jf` and refuses any that
//! do not fit, so a caller that keeps blocks short never emits a broken jump.
//!
//! The interpreter mirrors the kernel's seccomp subset (what
//! `seccomp_check_filter` accepts) for the instructions we emit, so unit tests
//! can run a generated filter without installing it. Anything else ends the
//! run with `SECCOMP_RET_KILL_PROCESS`: an interpreter bug fails closed.

use std::fmt;

use libc::sock_filter;

/// `AUDIT_ARCH_X86_64`: `EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE`.
pub const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
/// `AUDIT_ARCH_I386`: `EM_386 | __AUDIT_ARCH_LE`; the arch of `int 0x80`.
pub const AUDIT_ARCH_I386: u32 = 0x4000_0003;
/// `__X32_SYSCALL_BIT`: x32-ABI syscalls are the x86_64 numbers with this set.
pub const X32_SYSCALL_BIT: u32 = 0x4000_0000;

/// Size of `struct seccomp_data { int nr; u32 arch; u64 ip; u64 args[6]; }`.
const DATA_LEN: usize = 64;
pub(crate) const OFF_NR: u32 = 0;
pub(crate) const OFF_ARCH: u32 = 4;

/// Offset of the low 32 bits of argument `i` (x86_64 is little-endian).
pub(crate) fn off_arg_lo(i: usize) -> u32 {
    16 + 8 * i as u32
}

/// Offset of the high 32 bits of argument `i`.
pub(crate) fn off_arg_hi(i: usize) -> u32 {
    off_arg_lo(i) + 4
}

const LD_W_ABS: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
const JMP_JA: u16 = (libc::BPF_JMP | libc::BPF_JA) as u16;
const JEQ_K: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
const JGE_K: u16 = (libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K) as u16;
const JGT_K: u16 = (libc::BPF_JMP | libc::BPF_JGT | libc::BPF_K) as u16;
const JSET_K: u16 = (libc::BPF_JMP | libc::BPF_JSET | libc::BPF_K) as u16;
const ALU_AND_K: u16 = (libc::BPF_ALU | libc::BPF_AND | libc::BPF_K) as u16;
const RET_K: u16 = (libc::BPF_RET | libc::BPF_K) as u16;

/// A conditional jump's comparison of the accumulator with a constant.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cmp {
    Eq,
    Ge,
    /// `A & k != 0`.
    Set,
}

impl Cmp {
    fn code(self) -> u16 {
        match self {
            Cmp::Eq => JEQ_K,
            Cmp::Ge => JGE_K,
            Cmp::Set => JSET_K,
        }
    }
}

/// A position in a block, bound with [`Block::bind`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Label(usize);

/// Where a conditional jump goes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target {
    /// The following instruction.
    Next,
    To(Label),
}

enum Op {
    Load(u32),
    Jump { cmp: Cmp, k: u32, jt: Target, jf: Target },
    Ret(u32),
}

/// A straight-line piece of program whose jumps all stay inside it (a label
/// may be bound at its very end, meaning "whatever follows the block").
#[derive(Default)]
pub(crate) struct Block {
    ops: Vec<Op>,
    labels: Vec<Option<usize>>,
}

/// A jump in a block needs an offset beyond 255 (or backwards, or to an
/// unbound label).
#[derive(Debug)]
pub(crate) struct JumpOutOfRange;

impl Block {
    pub fn label(&mut self) -> Label {
        self.labels.push(None);
        Label(self.labels.len() - 1)
    }

    pub fn bind(&mut self, label: Label) {
        self.labels[label.0] = Some(self.ops.len());
    }

    /// `A = seccomp_data[offset..offset + 4]`.
    pub fn load(&mut self, offset: u32) {
        self.ops.push(Op::Load(offset));
    }

    pub fn jump(&mut self, cmp: Cmp, k: u32, jt: Target, jf: Target) {
        self.ops.push(Op::Jump { cmp, k, jt, jf });
    }

    pub fn ret(&mut self, k: u32) {
        self.ops.push(Op::Ret(k));
    }

    pub fn finish(self) -> Result<Vec<sock_filter>, JumpOutOfRange> {
        let offset = |from: usize, target: Target| -> Result<u8, JumpOutOfRange> {
            let to = match target {
                Target::Next => return Ok(0),
                Target::To(l) => self.labels[l.0].ok_or(JumpOutOfRange)?,
            };
            let delta = to.checked_sub(from + 1).ok_or(JumpOutOfRange)?;
            u8::try_from(delta).map_err(|_| JumpOutOfRange)
        };
        let mut out = Vec::with_capacity(self.ops.len());
        for (i, op) in self.ops.iter().enumerate() {
            out.push(match *op {
                Op::Load(k) => insn(LD_W_ABS, 0, 0, k),
                Op::Jump { cmp, k, jt, jf } => insn(cmp.code(), offset(i, jt)?, offset(i, jf)?, k),
                Op::Ret(k) => insn(RET_K, 0, 0, k),
            });
        }
        Ok(out)
    }
}

fn insn(code: u16, jt: u8, jf: u8, k: u32) -> sock_filter {
    sock_filter { code, jt, jf, k }
}

/// A conditional jump with its offsets given (`jt`, `jf` instructions ahead).
pub(crate) fn jump(cmp: Cmp, k: u32, jt: u8, jf: u8) -> sock_filter {
    insn(cmp.code(), jt, jf, k)
}

/// `ja`: jumps `k` instructions ahead.
pub(crate) fn ja(k: u32) -> sock_filter {
    insn(JMP_JA, 0, 0, k)
}

/// `ret k`.
pub(crate) fn ret(k: u32) -> sock_filter {
    insn(RET_K, 0, 0, k)
}

/// The bytes of a `struct seccomp_data` as the kernel would fill it. `nr` is
/// truncated to 32 bits, as the kernel does (`seccomp_data.nr` is an `int`).
fn seccomp_data(arch: u32, nr: i64, args: [u64; 6]) -> [u8; DATA_LEN] {
    let mut data = [0u8; DATA_LEN];
    data[0..4].copy_from_slice(&(nr as i32).to_ne_bytes());
    data[4..8].copy_from_slice(&arch.to_ne_bytes());
    // Bytes 8..16 are the instruction pointer, which no filter of ours reads.
    for (i, arg) in args.iter().enumerate() {
        let at = 16 + 8 * i;
        data[at..at + 8].copy_from_slice(&arg.to_ne_bytes());
    }
    data
}

/// Runs `prog` the way the kernel would for one syscall and returns the
/// `SECCOMP_RET_*` value.
pub(crate) fn run(prog: &[sock_filter], arch: u32, nr: i64, args: [u64; 6]) -> u32 {
    const FAIL: u32 = libc::SECCOMP_RET_KILL_PROCESS;
    let data = seccomp_data(arch, nr, args);
    let mut acc: u32 = 0;
    let mut pc = 0usize;
    loop {
        let Some(ins) = prog.get(pc) else {
            return FAIL; // ran off the end: the kernel rejects such programs
        };
        pc += 1;
        let k = ins.k;
        let taken = match ins.code {
            LD_W_ABS => {
                let at = k as usize;
                if at & 3 != 0 || at + 4 > DATA_LEN {
                    return FAIL;
                }
                acc = u32::from_ne_bytes(data[at..at + 4].try_into().unwrap());
                continue;
            }
            ALU_AND_K => {
                acc &= k;
                continue;
            }
            RET_K => return k,
            JMP_JA => {
                pc += k as usize;
                continue;
            }
            JEQ_K => acc == k,
            JGE_K => acc >= k,
            JGT_K => acc > k,
            JSET_K => acc & k != 0,
            _ => return FAIL,
        };
        pc += usize::from(if taken { ins.jt } else { ins.jf });
    }
}

/// Writes one line per instruction, with absolute jump targets.
pub(crate) fn disassemble(prog: &[sock_filter], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    // Whether A holds `nr`, to name syscalls in comparisons. Tracked in
    // program order, which is right for our programs: a block that loads an
    // argument is followed by one that reloads `nr`.
    let mut acc_is_nr = false;
    for (i, ins) in prog.iter().enumerate() {
        let (k, next) = (ins.k, i + 1);
        let (jt, jf) = (next + usize::from(ins.jt), next + usize::from(ins.jf));
        write!(f, "{i:4}: ")?;
        match ins.code {
            LD_W_ABS => {
                acc_is_nr = k == OFF_NR;
                writeln!(f, "ld   [{k}]\t; {}", field_name(k))?;
            }
            ALU_AND_K => writeln!(f, "and  #{k:#x}")?,
            RET_K => writeln!(f, "ret  {}", ret_name(k))?,
            JMP_JA => writeln!(f, "ja   {}", next + k as usize)?,
            JEQ_K if acc_is_nr => writeln!(f, "jeq  #{k:#x}\tjt {jt}\tjf {jf}{}", nr_comment(k))?,
            JEQ_K => writeln!(f, "jeq  #{k:#x}\tjt {jt}\tjf {jf}")?,
            JGE_K => writeln!(f, "jge  #{k:#x}\tjt {jt}\tjf {jf}")?,
            JGT_K => writeln!(f, "jgt  #{k:#x}\tjt {jt}\tjf {jf}")?,
            JSET_K => writeln!(f, "jset #{k:#x}\tjt {jt}\tjf {jf}")?,
            code => writeln!(f, "unknown code {code:#x} k {k:#x}")?,
        }
    }
    Ok(())
}

fn field_name(offset: u32) -> String {
    match offset {
        OFF_NR => "nr".to_owned(),
        OFF_ARCH => "arch".to_owned(),
        8 | 12 => "instruction pointer".to_owned(),
        o => {
            let arg = (o - 16) / 8;
            let half = if o & 4 == 0 { "low" } else { "high" };
            format!("arg{arg} {half} half")
        }
    }
}

fn ret_name(k: u32) -> String {
    match k & libc::SECCOMP_RET_ACTION_FULL {
        libc::SECCOMP_RET_ALLOW => "ALLOW".to_owned(),
        libc::SECCOMP_RET_KILL_PROCESS => "KILL_PROCESS".to_owned(),
        libc::SECCOMP_RET_ERRNO => format!("ERRNO({})", k & libc::SECCOMP_RET_DATA),
        _ => format!("{k:#x}"),
    }
}

/// The syscall a `jeq` on `nr` tests, as a comment.
fn nr_comment(k: u32) -> String {
    match crate::syscalls::name(i64::from(k)) {
        Some(name) => format!("\t; {name}"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALLOW: u32 = libc::SECCOMP_RET_ALLOW;
    const KILL: u32 = libc::SECCOMP_RET_KILL_PROCESS;

    #[test]
    fn loads_see_the_seccomp_data_layout() {
        for (offset, args, arch, nr) in [
            (OFF_NR, [0; 6], 0, 231),
            (OFF_ARCH, [0; 6], 231, 0),
            (off_arg_lo(2), [0, 0, 231, 0, 0, 0], 0, 0),
            (off_arg_hi(3), [0, 0, 0, 231 << 32, 0, 0], 0, 0),
        ] {
            let mut b = Block::default();
            let hit = b.label();
            b.load(offset);
            b.jump(Cmp::Eq, 231, Target::To(hit), Target::Next);
            b.ret(KILL);
            b.bind(hit);
            b.ret(ALLOW);
            assert_eq!(run(&b.finish().unwrap(), arch, nr, args), ALLOW, "{offset}");
        }
    }

    #[test]
    fn comparisons_and_jump_offsets() {
        let mut b = Block::default();
        let (ge, set) = (b.label(), b.label());
        b.load(OFF_NR);
        b.jump(Cmp::Ge, 100, Target::To(ge), Target::Next);
        b.jump(Cmp::Set, 0b100, Target::To(set), Target::Next);
        b.ret(0);
        b.bind(ge);
        b.ret(1);
        b.bind(set);
        b.ret(2);
        let prog = b.finish().unwrap();
        assert_eq!((prog[1].jt, prog[1].jf, prog[2].jt), (2, 0, 2));
        assert_eq!(run(&prog, 0, 100, [0; 6]), 1);
        assert_eq!(run(&prog, 0, 4, [0; 6]), 2);
        assert_eq!(run(&prog, 0, 3, [0; 6]), 0);
    }

    #[test]
    fn jumps_beyond_255_are_refused() {
        let mut b = Block::default();
        let far = b.label();
        b.jump(Cmp::Eq, 0, Target::To(far), Target::Next);
        for _ in 0..256 {
            b.ret(0);
        }
        b.bind(far);
        assert!(b.finish().is_err());
    }

    #[test]
    fn unknown_or_malformed_programs_fail_closed() {
        let bad_code = [insn(0x07, 0, 0, 0)]; // BPF_MISC|TAX: not for seccomp
        let misaligned = [insn(LD_W_ABS, 0, 0, 2), insn(RET_K, 0, 0, ALLOW)];
        let past_end = [insn(LD_W_ABS, 0, 0, 64), insn(RET_K, 0, 0, ALLOW)];
        let no_ret = [insn(LD_W_ABS, 0, 0, 0)];
        let wild_ja = [insn(JMP_JA, 0, 0, 9), insn(RET_K, 0, 0, ALLOW)];
        for prog in [&bad_code[..], &misaligned, &past_end, &no_ret, &wild_ja] {
            assert_eq!(run(prog, 0, 0, [0; 6]), KILL);
        }
        let ja_and = [
            insn(JMP_JA, 0, 0, 1),
            insn(RET_K, 0, 0, KILL),
            insn(LD_W_ABS, 0, 0, OFF_NR),
            insn(ALU_AND_K, 0, 0, 0xf),
            insn(JGT_K, 0, 1, 4),
            insn(RET_K, 0, 0, ALLOW),
            insn(RET_K, 0, 0, 7),
        ];
        assert_eq!(run(&ja_and, 0, 0x15, [0; 6]), ALLOW);
        assert_eq!(run(&ja_and, 0, 0x13, [0; 6]), 7);
    }
}
