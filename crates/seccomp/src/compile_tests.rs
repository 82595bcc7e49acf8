//! The generated filter, run through the BPF interpreter.

use super::*;
use crate::{AUDIT_ARCH_I386, AUDIT_ARCH_X86_64};

const ALLOW: u32 = libc::SECCOMP_RET_ALLOW;
const KILL: u32 = libc::SECCOMP_RET_KILL_PROCESS;
const EPERM: u32 = libc::SECCOMP_RET_ERRNO | libc::EPERM as u32;
const ENOSYS: u32 = libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32;

fn program(profile: Profile) -> Program {
    Policy::shipped().unwrap().compile(profile).unwrap()
}

/// `evaluate` for an x86_64 syscall with only arg0 set.
fn eval(p: &Program, nr: libc::c_long, arg0: u64) -> u32 {
    p.evaluate(AUDIT_ARCH_X86_64, nr, [arg0, 0, 0, 0, 0, 0])
}

const FORK_FLAGS: u64 = libc::SIGCHLD as u64;
const THREAD_FLAGS: u64 = (libc::CLONE_VM
    | libc::CLONE_FS
    | libc::CLONE_FILES
    | libc::CLONE_SIGHAND
    | libc::CLONE_THREAD
    | libc::CLONE_SYSVSEM
    | libc::CLONE_SETTLS
    | libc::CLONE_PARENT_SETTID
    | libc::CLONE_CHILD_CLEARTID) as u64;

#[test]
fn ordinary_syscalls_are_allowed() {
    let p = program(Profile::Default);
    for nr in [libc::SYS_getpid, libc::SYS_read, libc::SYS_write] {
        assert_eq!(eval(&p, nr, 0), ALLOW, "{nr}");
    }
    assert_eq!(eval(&p, libc::SYS_clone, FORK_FLAGS), ALLOW);
    assert_eq!(eval(&p, libc::SYS_clone, THREAD_FLAGS), ALLOW);
    // vfork-style posix_spawn and an exit signal with bit 0x80 set.
    let vfork = (libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD) as u64;
    assert_eq!(eval(&p, libc::SYS_clone, vfork), ALLOW);
    assert_eq!(eval(&p, libc::SYS_clone, 0x80), ALLOW);
}

#[test]
fn privileged_syscalls_fail_with_eperm() {
    let p = program(Profile::Default);
    for nr in [libc::SYS_mount, libc::SYS_unshare, libc::SYS_ptrace] {
        assert_eq!(eval(&p, nr, 0), EPERM, "{nr}");
    }
    let unshare_ns = libc::CLONE_NEWNS as u64;
    assert_eq!(eval(&p, libc::SYS_unshare, unshare_ns), EPERM);
}

#[test]
fn io_uring_and_clone3_fail_with_enosys() {
    let p = program(Profile::Default);
    for nr in [libc::SYS_io_uring_setup, libc::SYS_io_uring_enter, libc::SYS_io_uring_register, libc::SYS_clone3] {
        assert_eq!(eval(&p, nr, 0), ENOSYS, "{nr}");
    }
}

#[test]
fn clone_with_namespace_flags_fails() {
    let p = program(Profile::Default);
    for flag in [libc::CLONE_NEWNS, libc::CLONE_NEWUSER, libc::CLONE_NEWNET] {
        let flags = FORK_FLAGS | flag as u64;
        assert_eq!(eval(&p, libc::SYS_clone, flags), EPERM, "{flag:#x}");
        assert_eq!(eval(&p, libc::SYS_clone, THREAD_FLAGS | flags), EPERM);
    }
}

#[test]
fn personality_only_queries_or_sets_per_linux() {
    let p = program(Profile::Default);
    let nr = libc::SYS_personality;
    assert_eq!(eval(&p, nr, 0), ALLOW);
    assert_eq!(eval(&p, nr, 0xffff_ffff), ALLOW);
    assert_eq!(eval(&p, nr, libc::ADDR_NO_RANDOMIZE as u64), EPERM);
    assert_eq!(eval(&p, nr, 0x0040_0000), EPERM); // READ_IMPLIES_EXEC
                                                  // Equal in the low half only: the high half must be zero too.
    assert_eq!(eval(&p, nr, 0x1_0000_0000), EPERM);
    assert_eq!(eval(&p, nr, u64::MAX), EPERM);
}

#[test]
fn debugger_profile_allows_ptrace_and_personality() {
    let p = program(Profile::Debugger);
    assert_eq!(eval(&p, libc::SYS_ptrace, 0), ALLOW);
    let no_aslr = libc::ADDR_NO_RANDOMIZE as u64;
    assert_eq!(eval(&p, libc::SYS_personality, no_aslr), ALLOW);
    // Everything else is as strict as the default profile.
    assert_eq!(eval(&p, libc::SYS_mount, 0), EPERM);
    assert_eq!(eval(&p, libc::SYS_process_vm_readv, 0), EPERM);
    assert_eq!(eval(&p, libc::SYS_clone3, 0), ENOSYS);
    let newuser = (libc::CLONE_NEWUSER | libc::SIGCHLD) as u64;
    assert_eq!(eval(&p, libc::SYS_clone, newuser), EPERM);
}

#[test]
fn foreign_abis_are_killed() {
    for profile in Profile::ALL {
        let p = program(profile);
        // i386 getpid through int 0x80.
        assert_eq!(p.evaluate(AUDIT_ARCH_I386, 20, [0; 6]), KILL);
        assert_eq!(p.evaluate(0, libc::SYS_getpid, [0; 6]), KILL);
        // x32 getpid, and the highest x32-looking number.
        assert_eq!(eval(&p, 0x4000_0000 + libc::SYS_getpid, 0), KILL);
        assert_eq!(eval(&p, 0xffff_fffe, 0), KILL);
        // -1 is a tracer's "skip this syscall", not x32.
        assert_eq!(eval(&p, -1, 0), ALLOW);
    }
}

/// The policy's meaning, evaluated in Rust: the first rule of the profile on
/// the syscall whose conditions all hold for these arguments decides.
fn meaning(policy: &Policy, profile: Profile, nr: i64, args: &[u64; 6]) -> u32 {
    let holds = |c: &Condition| {
        let a = args[c.arg];
        match &c.test {
            ArgTest::AnyBits(mask) => a & mask != 0,
            ArgTest::OneOf(v) => v.contains(&a),
            ArgTest::NoneOf(v) => !v.contains(&a),
        }
    };
    policy
        .rules()
        .iter()
        .filter(|r| r.nr() == nr && r.applies_to(profile))
        .find(|r| r.conditions().iter().all(holds))
        .map_or(ALLOW, |r| r.action().seccomp_ret())
}

#[test]
fn every_syscall_gets_exactly_its_rule() {
    let policy = Policy::shipped().unwrap();
    // Every value some condition of the policy names, its neighbours, and junk.
    let mut values = vec![0, 1, 2, 10, 16, 40, 0x1_0000_0001, 0xffff_ffff, u64::MAX];
    for rule in policy.rules() {
        for c in rule.conditions() {
            match &c.test {
                ArgTest::AnyBits(m) => values.extend([*m, !*m]),
                ArgTest::OneOf(v) | ArgTest::NoneOf(v) => values.extend(v.iter().flat_map(|&x| [x, x + 1])),
            }
        }
    }
    for profile in Profile::ALL {
        let p = policy.compile(profile).unwrap();
        for nr in (0..512).chain([-1, 0x3fff_ffff]) {
            for &value in &values {
                for at in 0..3 {
                    let mut args = [0; 6];
                    args[at] = value;
                    let want = meaning(&policy, profile, nr, &args);
                    let got = p.evaluate(AUDIT_ARCH_X86_64, nr, args);
                    assert_eq!(got, want, "{profile}: syscall {nr} arg{at} {value:#x}");
                }
            }
        }
    }
}

/// A policy with a rule on every syscall this crate knows: the dispatch is too
/// long for 8-bit jumps and needs `ja`; every syscall still reaches its rules.
#[test]
fn a_dispatch_longer_than_a_short_jump_still_finds_every_rule() {
    let mut toml = String::new();
    for (i, (name, nr)) in crate::syscalls::entries().enumerate() {
        // Every other syscall denied outright, the rest only for one arg0.
        let when = match i % 2 {
            0 => String::new(),
            _ => format!("when = [{{ arg = 0, one_of = [{nr}] }}]"),
        };
        toml += &format!(
            "[[rule]]\nsyscall = \"{name}\"\naction = {{ errno = {} }}\n{when}\nreason = \"t\"\n",
            1 + nr % 100
        );
    }
    let policy = Policy::from_toml(&toml).unwrap();
    let p = policy.compile(Profile::Default).unwrap();
    let code = p.instructions();
    let ja = (libc::BPF_JMP | libc::BPF_JA) as u16;
    assert!(code.iter().filter(|i| i.code == ja).any(|i| i.k > 255), "no long jump in\n{p}");
    for (_, nr) in crate::syscalls::entries() {
        for arg0 in [0, nr as u64, 7] {
            let args = [arg0, 0, 0, 0, 0, 0];
            assert_eq!(p.evaluate(AUDIT_ARCH_X86_64, nr, args), meaning(&policy, Profile::Default, nr, &args));
        }
    }
    assert_eq!(eval(&p, 1000, 0), ALLOW);
}

/// The search reaches a syscall in a few comparisons, not one per rule.
#[test]
fn the_dispatch_is_a_search() {
    let p = program(Profile::Default);
    let code = p.instructions();
    // The longest path any syscall without conditions takes, in instructions.
    let mut longest = 0;
    for nr in 0..512 {
        let (mut pc, mut steps) = (0usize, 0);
        loop {
            let ins = code[pc];
            steps += 1;
            pc += 1;
            match u32::from(ins.code) & 0x07 {
                libc::BPF_RET => break,
                libc::BPF_JMP if ins.code == (libc::BPF_JMP | libc::BPF_JA) as u16 => pc += ins.k as usize,
                libc::BPF_JMP => {
                    let taken = match u32::from(ins.code) & 0xf0 {
                        libc::BPF_JEQ => nr == ins.k,
                        libc::BPF_JGE => nr >= ins.k,
                        _ => break, // a condition on an argument: not this walk's business
                    };
                    pc += usize::from(if taken { ins.jt } else { ins.jf });
                }
                _ => {
                    if ins.k != bpf::OFF_NR && ins.k != bpf::OFF_ARCH {
                        break;
                    }
                }
            }
        }
        longest = longest.max(steps);
    }
    let rules = Policy::shipped().unwrap().rules().len();
    assert!(longest <= 24, "{longest} steps for {rules} rules:\n{p}");
}

/// A made-up policy exercising every condition kind on both argument halves,
/// checked against the conditions evaluated directly in Rust.
#[test]
fn conditions_match_their_meaning() {
    let toml = r#"
        [[rule]]
        syscall = "ioctl"
        action = "kill"
        when = [{ arg = 1, any_bits = 0x100000001 }, { arg = 2, one_of = [5, 0x200000000] }]
        reason = "test"
        [[rule]]
        syscall = "ioctl"
        action = { errno = 13 }
        when = [{ arg = 3, none_of = [0, 0x300000007] }]
        reason = "test"
    "#;
    let policy = Policy::from_toml(toml).unwrap();
    let p = policy.compile(Profile::Default).unwrap();
    let samples = [0, 1, 5, 7, 0x1_0000_0000, 0x2_0000_0000, 0x3_0000_0007, 0x2_0000_0005];
    for &a1 in &samples {
        for &a2 in &samples {
            for &a3 in &samples {
                let first = (a1 & 0x1_0000_0001 != 0) && [5, 0x2_0000_0000].contains(&a2);
                let second = ![0, 0x3_0000_0007].contains(&a3);
                let want = match (first, second) {
                    (true, _) => KILL,
                    (false, true) => libc::SECCOMP_RET_ERRNO | 13,
                    (false, false) => ALLOW,
                };
                let args = [0, a1, a2, a3, 0, 0];
                let got = p.evaluate(AUDIT_ARCH_X86_64, libc::SYS_ioctl, args);
                assert_eq!(got, want, "{a1:#x} {a2:#x} {a3:#x}");
            }
        }
    }
    // The rule after a conditional one reloads nr before comparing it.
    assert_eq!(eval(&p, libc::SYS_getpid, 0), ALLOW);
}

#[test]
fn programs_are_well_formed() {
    for profile in Profile::ALL {
        let p = program(profile);
        let code = p.instructions();
        assert!(p.len() < 300, "{profile}: {} instructions", p.len());
        let last = code.last().unwrap();
        assert_eq!(last.code, (libc::BPF_RET | libc::BPF_K) as u16);
        for (i, ins) in code.iter().enumerate() {
            let is_jump = u32::from(ins.code) & 0x07 == libc::BPF_JMP;
            if is_jump {
                let far = i + 1 + usize::from(ins.jt.max(ins.jf));
                assert!(far < code.len(), "{profile}: jump at {i} leaves the program");
            }
        }
        let text = p.to_string();
        assert!(text.contains("KILL_PROCESS") && text.contains("; mount"), "{text}");
        assert!(p.evaluate(AUDIT_ARCH_X86_64, libc::SYS_getpid, [0; 6]) == ALLOW);
    }
    let default = program(Profile::Default).len();
    assert!(program(Profile::Debugger).len() < default);
}

#[test]
fn only_the_socket_families_a_program_needs() {
    let p = program(Profile::Default);
    let sock =
        |domain: u64, protocol: u64| p.evaluate(AUDIT_ARCH_X86_64, libc::SYS_socket, [domain, 1, protocol, 0, 0, 0]);
    let eafnosupport = libc::SECCOMP_RET_ERRNO | libc::EAFNOSUPPORT as u32;
    for family in [libc::AF_UNIX, libc::AF_INET, libc::AF_INET6] {
        assert_eq!(sock(family as u64, 0), ALLOW, "{family}");
    }
    assert_eq!(sock(libc::AF_NETLINK as u64, libc::NETLINK_ROUTE as u64), ALLOW);
    assert_eq!(
        sock(libc::AF_NETLINK as u64, libc::NETLINK_KOBJECT_UEVENT as u64),
        libc::SECCOMP_RET_ERRNO | libc::EPROTONOSUPPORT as u32
    );
    for family in [libc::AF_VSOCK, libc::AF_PACKET, libc::AF_ALG, libc::AF_BLUETOOTH, libc::AF_XDP, 0] {
        assert_eq!(sock(family as u64, 0), eafnosupport, "{family}");
    }
    // Junk in the upper half does not turn a family into an allowed one.
    assert_eq!(sock(0x1_0000_0000 | libc::AF_VSOCK as u64, 0), eafnosupport);
    assert_eq!(sock(0x1_0000_0000 | libc::AF_NETLINK as u64, 15), eafnosupport);
    let pair = |domain: u64| p.evaluate(AUDIT_ARCH_X86_64, libc::SYS_socketpair, [domain, 1, 0, 0, 0, 0]);
    assert_eq!(pair(libc::AF_UNIX as u64), ALLOW);
    assert_eq!(pair(libc::AF_INET as u64), eafnosupport);
}
