// Instantiates Deep<0>, Deep<1>, ... without end; compiled with
// -ftemplate-depth raised so that g++'s own depth limit does not stop it.
template <int N> struct Deep {
    static const int value = Deep<N + 1>::value + 1;
};

int main() { return Deep<0>::value; }
