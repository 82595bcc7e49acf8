#import <Foundation/Foundation.h>
int main(void) {
    NSAutoreleasePool *pool = [[NSAutoreleasePool alloc] init];
    NSMutableArray *kept = [NSMutableArray array];
    for (;;) {
        NSMutableData *d = [NSMutableData dataWithLength: 1 << 20];
        memset([d mutableBytes], 1, 1 << 20);
        [kept addObject: d];
    }
    [pool drain];
    return 0;
}
