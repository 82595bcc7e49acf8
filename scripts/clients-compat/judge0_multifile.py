"""Judge0's multi-file programs (language 89) on a real `flash serve`: a
Catch2 unit-test project as Judge0's documentation shows one (the test
framework's single header and the tests in `additional_files`, a `compile`
script building them with Judge0's /usr/local/gcc-9.2.0/bin/g++, a `run`
script running them), and run scripts calling Judge0's other toolchain paths. The test binary and the
header are far larger than the submission's file-size limit (1024 KB by
default), which applies to what the program writes, not to what the compile
step leaves or the zip brings.

    FLASH_URL=http://127.0.0.1:2358 python judge0_multifile.py

Needs Catch2's single header: /usr/include/catch.hpp (Debian's `catch`).
"""

import base64
import io
import os
import sys
import zipfile

import requests

URL = os.environ["FLASH_URL"].rstrip("/")
HEADER = os.environ.get("CATCH_HPP", "/usr/include/catch.hpp")
TESTS = r'''
#define CATCH_CONFIG_MAIN
#include "catch.hpp"

unsigned int Factorial(unsigned int number) {
    return number <= 1 ? number : Factorial(number - 1) * number;
}

TEST_CASE("Factorials are computed", "[factorial]") {
    REQUIRE(Factorial(1) == 1);
    REQUIRE(Factorial(2) == 2);
    REQUIRE(Factorial(3) == 6);
    REQUIRE(Factorial(10) == 3628800);
}
'''
failures = []


def project(tests, extra_run=""):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(HEADER, "catch.hpp")
        z.writestr("tests.cpp", tests)
        # Judge0's own compiler path: Flash links it to this host's g++.
        z.writestr("compile", "#!/bin/bash\n/usr/local/gcc-9.2.0/bin/g++ -std=c++17 -g -O0 tests.cpp -o tests\n")
        z.writestr("run", f"#!/bin/bash\n./tests --reporter compact {extra_run}\n")
    return base64.b64encode(buf.getvalue()).decode()


def submit(zip_b64, **extra):
    body = {"language_id": 89, "additional_files": zip_b64, **extra}
    r = requests.post(f"{URL}/submissions?wait=true&fields=status,stdout,stderr,compile_output,message,exit_code", json=body, timeout=300)
    r.raise_for_status()
    return r.json()


def expect(what, cond, detail):
    print(f"{'ok  ' if cond else 'FAIL'} {what}" + ("" if cond else f": {detail}"))
    if not cond:
        failures.append(what)


print(f"judge0_multifile: catch.hpp is {os.path.getsize(HEADER) // 1024} KB")
v = submit(project(TESTS), max_file_size=1024)
expect("the Catch2 project passes", v["status"]["id"] == 3 and "passed" in (v["stdout"] or "").lower(), v)
v = submit(project(TESTS.replace("== 6", "== 7")))
expect("a failing test is a runtime error with Catch's report", v["status"]["id"] == 11 and "failed" in (v["stdout"] or ""), v)
v = submit(project(TESTS.replace("REQUIRE(Factorial(1) == 1);", "REQUIRE(Factorial(1) == 1)")))
expect("a compile error is a compilation error", v["status"]["id"] == 6 and "error" in (v["compile_output"] or ""), v)
# Judge0's toolchain paths in run scripts.
paths = io.BytesIO()
with zipfile.ZipFile(paths, "w") as z:
    z.writestr("Main.java", 'public class Main { public static void main(String[] a) { System.out.println("java"); } }')
    z.writestr("main.py", "print('python')")
    z.writestr("compile", "#!/bin/bash\n/usr/local/openjdk13/bin/javac Main.java\n")
    z.writestr("run", "#!/bin/bash\n/usr/local/openjdk13/bin/java Main && /usr/local/python-3.8.1/bin/python3 main.py"
               " && /usr/local/node-12.14.0/bin/node -e 'console.log(\"node\")'\n")
v = submit(base64.b64encode(paths.getvalue()).decode())
expect("Judge0's toolchain paths (openjdk13, python-3.8.1, node-12.14.0)", v["stdout"] == "java\npython\nnode\n", v)
# The program's own writes are still limited.
flood = TESTS + '\n#include <fstream>\nTEST_CASE("writes") { std::ofstream f("big"); std::string s(1 << 20, 0); for (int i = 0; i < 4; i++) f << s; }\n'
v = submit(project(flood), max_file_size=1024)
expect("a file the program writes is still limited", v["status"]["id"] != 3, v)
print(f"judge0_multifile: {len(failures)} failures")
sys.exit(1 if failures else 0)
