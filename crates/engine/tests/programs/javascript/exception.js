function check(x) {
  if (x < 0) {
    throw new Error("negative input: " + x);
  }
  return x;
}

console.log(check(-1));
