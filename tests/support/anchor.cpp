// Keeps the support library non-empty.
namespace ebap::test {
int support_anchor = 0;
}
