// What the page knows about a language beyond its id and name: the family
// (editor mode, starter program, whether the debugger supports it) and the
// short names a shared link may use.

export type LanguageFamily = "cpp" | "c" | "python" | "javascript" | "java" | "sql" | "bash" | "other";

export interface Language {
  id: number;
  name: string;
}

const BY_ID: Record<number, LanguageFamily> = {
  54: "cpp",
  50: "c",
  71: "python",
  63: "javascript",
  62: "java",
  82: "sql",
  46: "bash",
};

/** Name prefixes, most specific first ("C++" before "C"). */
const BY_NAME: [RegExp, LanguageFamily][] = [
  [/^c\+\+/i, "cpp"],
  // "C (GCC ...)" and "C (Clang ...)", never "C#".
  [/^c(?![#+])\b/i, "c"],
  [/^python/i, "python"],
  [/^(javascript|node)/i, "javascript"],
  [/^java\b/i, "java"],
  [/^(sql|sqlite)/i, "sql"],
  [/^(bash|shell|sh)\b/i, "bash"],
];

export function family(lang: Language | undefined): LanguageFamily {
  if (!lang) return "other";
  for (const [re, fam] of BY_NAME) if (re.test(lang.name)) return fam;
  return BY_ID[lang.id] ?? "other";
}

/** Languages the debugger (POST /debug) can trace: GCC's C and C++ (not Clang's), Python, Node, Java. */
export function canDebug(lang: Language | undefined): boolean {
  return ["cpp", "c", "python", "javascript", "java"].includes(family(lang)) && !/clang/i.test(lang?.name ?? "");
}

/** The picker's label: the name, marked when the debugger can step through it. */
export function pickerLabel(lang: Language): string {
  return canDebug(lang) ? `${lang.name} · debugger` : lang.name;
}

/** Whether `lang` has the id this family has in Judge0's usual table (54 for C++, ...). */
export function canonical(lang: Language): boolean {
  return BY_ID[lang.id] !== undefined && BY_ID[lang.id] === family(lang);
}

/**
 * One entry per name: Judge0 lists several ids for one toolchain (C++ is 52,
 * 53 and 54); the picker keeps the usual one, else the newest.
 */
export function dedupe(list: Language[]): Language[] {
  const byName = new Map<string, Language>();
  for (const l of list) {
    const have = byName.get(l.name);
    const better = !have || (canonical(l) !== canonical(have) ? canonical(l) : l.id > have.id);
    if (better) byName.set(l.name, l);
  }
  return [...byName.values()];
}

/** Short names a link may carry instead of an id (`#lang=python`). */
const ALIASES: Record<string, LanguageFamily> = {
  cpp: "cpp",
  "c++": "cpp",
  cxx: "cpp",
  c: "c",
  python: "python",
  python3: "python",
  py: "python",
  javascript: "javascript",
  js: "javascript",
  node: "javascript",
  java: "java",
  sql: "sql",
  sqlite: "sql",
  bash: "bash",
  sh: "bash",
  shell: "bash",
};

/** The language a link names, by id, alias or name prefix. */
export function findLanguage(langs: Language[], key: string | null | undefined): Language | undefined {
  if (!key) return undefined;
  const k = key.trim().toLowerCase();
  const byId = langs.find((l) => String(l.id) === k);
  if (byId) return byId;
  const fam = ALIASES[k];
  if (fam) return langs.find((l) => family(l) === fam);
  return langs.find((l) => l.name.toLowerCase().startsWith(k));
}

/** The short name used in links made by this page. */
export function shortName(lang: Language): string {
  const fam = family(lang);
  return fam === "other" ? String(lang.id) : fam;
}

const STARTERS: Record<LanguageFamily, string> = {
  python: `def square(n):
    return n * n


for i in range(1, 4):
    print(i, square(i))
`,
  cpp: `#include <iostream>
#include <vector>

int square(int n) {
    return n * n;
}

int main() {
    std::vector<int> squares;
    for (int i = 1; i <= 3; i++) {
        squares.push_back(square(i));
        std::cout << i << " " << squares.back() << "\\n";
    }
    return 0;
}
`,
  c: `#include <stdio.h>

int square(int n) {
    return n * n;
}

int main(void) {
    for (int i = 1; i <= 3; i++) {
        printf("%d %d\\n", i, square(i));
    }
    return 0;
}
`,
  javascript: `function square(n) {
  return n * n;
}

for (let i = 1; i <= 3; i++) {
  console.log(i, square(i));
}
`,
  java: `public class Main {
    static int square(int n) {
        return n * n;
    }

    public static void main(String[] args) {
        for (int i = 1; i <= 3; i++) {
            System.out.println(i + " " + square(i));
        }
    }
}
`,
  sql: `CREATE TABLE squares (n INTEGER, sq INTEGER);
INSERT INTO squares VALUES (1, 1), (2, 4), (3, 9);
SELECT n, sq FROM squares ORDER BY n;
`,
  bash: `square() {
  echo $(( $1 * $1 ))
}

for i in 1 2 3; do
  echo "$i $(square "$i")"
done
`,
  other: "",
};

export function starter(lang: Language | undefined): string {
  return STARTERS[family(lang)];
}

/** Whether `code` is one of the starter programs (so switching language may replace it). */
export function isStarter(code: string): boolean {
  const c = code.trim();
  return c === "" || Object.values(STARTERS).some((s) => s.trim() === c);
}
