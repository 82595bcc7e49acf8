#import <Foundation/Foundation.h>
#include <stdio.h>
#include <string.h>
int main(void) {
    NSAutoreleasePool *pool = [[NSAutoreleasePool alloc] init];
    char buf[4096];
    if (!fgets(buf, sizeof buf, stdin)) buf[0] = 0;
    buf[strcspn(buf, "\n")] = 0;
    NSString *s = [NSString stringWithUTF8String: buf];
    printf("Hello, %s!\n", [s UTF8String]);
    [pool drain];
    return 0;
}
