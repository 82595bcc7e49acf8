section .text
global _start
_start:
    mov rax, 9
    xor rdi, rdi
    mov rsi, 1 << 31
    mov rdx, 3
    mov r10, 0x22
    mov r8, -1
    xor r9, r9
    syscall
    mov rbx, rax
    xor rcx, rcx
.touch:
    mov byte [rbx + rcx], 1
    add rcx, 4096
    cmp rcx, 1 << 31
    jb .touch
    mov rax, 60
    xor rdi, rdi
    syscall
