while (TRUE) {}
