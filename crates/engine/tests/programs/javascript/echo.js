// Decoded as UTF-8 text and written back, so the round trip checks the decoding too.
const text = require("fs").readFileSync(0, "utf8");
process.stdout.write(text);
