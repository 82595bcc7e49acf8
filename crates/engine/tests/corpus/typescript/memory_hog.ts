const a: number[][] = [];
while (true) a.push(new Array(1e6).fill(1));
