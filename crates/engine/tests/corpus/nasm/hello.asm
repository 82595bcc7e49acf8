section .bss
buf resb 4096
section .data
pre db "Hello, "
suf db "!", 10
section .text
global _start
_start:
    mov rax, 0
    mov rdi, 0
    lea rsi, [buf]
    mov rdx, 4096
    syscall
    mov r12, rax
    cmp r12, 0
    jle .print
    cmp byte [buf + r12 - 1], 10
    jne .print
    dec r12
.print:
    mov rax, 1
    mov rdi, 1
    lea rsi, [pre]
    mov rdx, 7
    syscall
    mov rax, 1
    mov rdi, 1
    lea rsi, [buf]
    mov rdx, r12
    syscall
    mov rax, 1
    mov rdi, 1
    lea rsi, [suf]
    mov rdx, 2
    syscall
    mov rax, 60
    xor rdi, rdi
    syscall
