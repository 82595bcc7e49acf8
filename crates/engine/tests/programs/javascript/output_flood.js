for (;;) {
  console.log("y".repeat(64));
}
