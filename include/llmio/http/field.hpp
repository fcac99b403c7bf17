// llmio/http/field.hpp: one header or trailer field, as the response parser hands it out.
#ifndef LLMIO_HTTP_FIELD_HPP
#define LLMIO_HTTP_FIELD_HPP

#include <string_view>

namespace llmio::http {

/// A field line split at its ':'. Both views point into the parser's own buffer; the parser
/// that handed them out documents how long they stay valid.
struct field {
    /// As received (case preserved); compare with a case-insensitive match (RFC 9110 §5.1).
    std::string_view name;
    /// As received, without the OWS around it (RFC 9112 §5); may be empty.
    std::string_view value;
};

} // namespace llmio::http

#endif // LLMIO_HTTP_FIELD_HPP
