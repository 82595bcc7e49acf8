s = fgetl(stdin);
printf("Hello, %s!\n", s);
