// Buffers live outside V8's heap, so only the box's memory limit can stop this;
// fill() writes every byte.
const blocks = [];
for (;;) {
  blocks.push(Buffer.alloc(1 << 20).fill(1));
}
