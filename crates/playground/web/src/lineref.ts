// Finds references to lines of the user's file in compiler and runtime
// messages, so they can link to the editor.
//   g++/gcc:  main.cpp:12:5: error: ...       javac: Main.java:5: error: ...
//   python:   File "/box/main.py", line 3     node:  /box/main.js:3
//   bash:     main.sh: line 3: ...            sqlite: Parse error near line 3: ...

export interface LineRef {
  start: number;
  end: number;
  line: number;
  col?: number;
}

const SOURCE = String.raw`(?:[\w./-]*\/)?(?:main|Main)\.(?:cpp|cc|c|h|hpp|py|js|mjs|java|sh|sql)`;
const PATTERNS: RegExp[] = [
  new RegExp(String.raw`${SOURCE}:(\d+)(?::(\d+))?`, "g"),
  new RegExp(String.raw`File "${SOURCE}", line (\d+)`, "g"),
  new RegExp(String.raw`${SOURCE}: line (\d+)`, "g"),
  /\bnear line (\d+)/g,
];

export function findLineRefs(text: string): LineRef[] {
  const found: LineRef[] = [];
  for (const re of PATTERNS) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const line = Number(m[1]);
      if (!(line >= 1)) continue;
      found.push({ start: m.index, end: m.index + m[0].length, line, col: m[2] ? Number(m[2]) : undefined });
    }
  }
  found.sort((a, b) => a.start - b.start);
  const out: LineRef[] = [];
  for (const r of found) if (!out.length || r.start >= out[out.length - 1].end) out.push(r);
  return out;
}
