section .data
msg db "flash-boom", 10
section .text
global _start
_start:
    mov rax, 1
    mov rdi, 2
    lea rsi, [msg]
    mov rdx, 11
    syscall
    mov rax, 60
    mov rdi, 3
    syscall
