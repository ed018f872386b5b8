#include "pipeline/decode/json_text.hpp"

namespace ebap::pipeline {

void append_json_string(std::string& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    // Pairs (byte, letter) of JSON's two-character escapes; other controls get \u00XX.
    static constexpr std::string_view kShort = "\"\"\\\\\bb\ff\nn\rr\tt";
    out.push_back('"');
    std::size_t run = 0; // start of the pending run of bytes that need no escape
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(s.data() + run, i - run);
        run = i + 1;
        out.push_back('\\');
        // c is '"', '\\' or a control byte: each occurs only at an even (byte) index.
        if (const auto k = kShort.find(static_cast<char>(c)); k != std::string_view::npos) {
            out.push_back(kShort[k + 1]);
        } else {
            out.append("u00");
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xf]);
        }
    }
    out.append(s.data() + run, s.size() - run);
    out.push_back('"');
}

} // namespace ebap::pipeline
