section .text
global _start
_start:
    mov rax, undeclared_name
