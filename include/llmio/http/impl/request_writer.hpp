// Bodies of llmio/http/request_writer.hpp.
#ifndef LLMIO_HTTP_IMPL_REQUEST_WRITER_HPP
#define LLMIO_HTTP_IMPL_REQUEST_WRITER_HPP

namespace llmio::http {

inline request_writer::request_writer(std::string& out) noexcept : out_(&out)
{
    out.clear();
}

inline request_writer& request_writer::fail(http::error e) noexcept
{
    failed_ = e;
    out_->clear();
    return *this;
}

inline request_writer& request_writer::start(std::string_view method, std::string_view target)
{
    if (failed_ != http::error{}) {
        return *this;
    }
    if (stage_ != stage::fresh) {
        return fail(http::error::writer_state);
    }
    if (!detail::is_token(method)) {
        return fail(http::error::bad_method);
    }
    // origin-form, absolute-form, authority-form and asterisk-form are all VCHAR
    // (RFC 9112 §3.2, RFC 3986): a SP, CTL or non-ASCII byte would end or split the line.
    if (target.empty() || !detail::all_of(target, detail::cc_vchar)) {
        return fail(http::error::bad_target);
    }
    // Methods are case-sensitive (RFC 9110 §9.1): "post" is not POST.
    method_has_content_ = method == "POST" || method == "PUT" || method == "PATCH";
    std::string& out = *out_;
    out.append(method);
    out.push_back(' ');
    out.append(target);
    out.append(" HTTP/1.1\r\n");
    stage_ = stage::fields;
    return *this;
}

inline request_writer& request_writer::header(std::string_view name, std::string_view value)
{
    if (failed_ != http::error{}) {
        return *this;
    }
    if (stage_ != stage::fields) {
        return fail(http::error::writer_state);
    }
    if (!detail::is_token(name)) {
        return fail(http::error::bad_field_name);
    }
    if (!detail::all_of(value, detail::cc_field)) {
        return fail(http::error::bad_field_value);
    }
    if (detail::iequals(name, "content-length") || detail::iequals(name, "transfer-encoding")) {
        return fail(http::error::framing_field);
    }
    std::string& out = *out_;
    out.append(name);
    out.append(": ");
    out.append(value);
    out.append("\r\n");
    return *this;
}

inline void request_writer::write_framing(std::uint64_t length)
{
    std::string& out = *out_;
    if (length > 0 || method_has_content_) {
        char digits[20];
        const std::to_chars_result r = std::to_chars(digits, digits + sizeof digits, length);
        out.append("Content-Length: ");
        out.append(digits, static_cast<std::size_t>(r.ptr - digits));
        out.append("\r\n");
    }
    out.append("\r\n");
    stage_ = stage::finished;
}

inline std::error_code request_writer::finish(std::string_view body)
{
    if (failed_ == http::error{} && stage_ != stage::fields) {
        fail(http::error::writer_state);
    }
    if (failed_ != http::error{}) {
        return failed_;
    }
    write_framing(body.size());
    out_->append(body);
    return {};
}

inline std::error_code request_writer::finish_for_body(std::uint64_t length)
{
    if (failed_ == http::error{} && stage_ != stage::fields) {
        fail(http::error::writer_state);
    }
    if (failed_ != http::error{}) {
        return failed_;
    }
    write_framing(length);
    return {};
}

} // namespace llmio::http

#endif // LLMIO_HTTP_IMPL_REQUEST_WRITER_HPP
