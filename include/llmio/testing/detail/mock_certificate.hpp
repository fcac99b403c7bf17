// llmio/testing/detail/mock_certificate.hpp: the mock server's TLS certificate, made with
// OpenSSL 3 at start. Not API.
//
// One self-signed certificate that is its own CA (basicConstraints CA:TRUE, keyCertSign), on a
// fresh EC P-256 key: a client that adds it as a trust anchor verifies the chain and the host
// name as it would for the real service, with no files and nothing kept between runs. The
// expired and wrong-host variants exist so transport tests can show the client refuses them.
#ifndef LLMIO_TESTING_DETAIL_MOCK_CERTIFICATE_HPP
#define LLMIO_TESTING_DETAIL_MOCK_CERTIFICATE_HPP

#include <asio/ssl/error.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <system_error>

namespace llmio::testing::detail {

struct certificate_pem {
    std::string certificate;
    std::string private_key;
};

namespace certificate_detail {

struct openssl_free {
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
    void operator()(X509* p) const noexcept { X509_free(p); }
    void operator()(X509_EXTENSION* p) const noexcept { X509_EXTENSION_free(p); }
    void operator()(BIO* p) const noexcept { BIO_free(p); }
    void operator()(BIGNUM* p) const noexcept { BN_free(p); }
};
template <class T>
using owned = std::unique_ptr<T, openssl_free>;

// The error OpenSSL queued, in Asio's SSL category (what the rest of an Asio TLS stack reports).
[[nodiscard]] inline std::error_code last_error() noexcept
{
    const unsigned long e = ERR_get_error();
    return {static_cast<int>(e != 0 ? e : 1), asio::error::get_ssl_category()};
}

[[nodiscard]] inline bool add_extension(X509* x, X509V3_CTX& ctx, int nid, const std::string& value)
{
    const owned<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    return ext && X509_add_ext(x, ext.get(), -1) == 1;
}

[[nodiscard]] inline bool to_pem(BIO* bio, std::string& out)
{
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    if (n <= 0 || data == nullptr) {
        return false;
    }
    out.assign(data, static_cast<std::size_t>(n));
    return true;
}

} // namespace certificate_detail

/// Makes the key and the certificate `options` describe. The names go into an OpenSSL
/// configuration string, so they must not contain ','.
[[nodiscard]] inline std::error_code make_certificate(const certificate_options& options, certificate_pem& out)
{
    using namespace certificate_detail;
    ERR_clear_error();
    const owned<EVP_PKEY> key(EVP_EC_gen("P-256"));
    const owned<X509> x(X509_new());
    if (!key || !x || X509_set_version(x.get(), 2) != 1) {   // 2: X.509 v3
        return last_error();
    }
    // A random 127-bit serial: browsers and OpenSSL's caches key certificates by issuer and
    // serial, and every run makes a new certificate under the same name.
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof serial) != 1) {
        return last_error();
    }
    serial[0] &= 0x7f;
    const owned<BIGNUM> bn(BN_bin2bn(serial, sizeof serial, nullptr));
    if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x.get())) == nullptr) {
        return last_error();
    }
    if (X509_gmtime_adj(X509_getm_notBefore(x.get()), static_cast<long>(options.not_before.count())) == nullptr ||
        X509_gmtime_adj(X509_getm_notAfter(x.get()), static_cast<long>(options.not_after.count())) == nullptr ||
        X509_set_pubkey(x.get(), key.get()) != 1) {
        return last_error();
    }
    X509_NAME* name = X509_get_subject_name(x.get());
    if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(options.common_name.c_str()), -1, -1,
                                   0) != 1 ||
        X509_set_issuer_name(x.get(), name) != 1) {
        return last_error();
    }
    std::string san;
    for (const std::string& dns : options.dns_names) {
        san.append(san.empty() ? "" : ",").append("DNS:").append(dns);
    }
    for (const std::string& ip : options.ip_addresses) {
        san.append(san.empty() ? "" : ",").append("IP:").append(ip);
    }
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x.get(), x.get(), nullptr, nullptr, 0);
    // The subject key identifier first: the authority key identifier of a self-signed
    // certificate is copied from it (strict verifiers, e.g. Python's VERIFY_X509_STRICT, want both).
    if (!add_extension(x.get(), ctx, NID_basic_constraints, "critical,CA:TRUE") ||
        !add_extension(x.get(), ctx, NID_key_usage, "critical,digitalSignature,keyCertSign") ||
        !add_extension(x.get(), ctx, NID_ext_key_usage, "serverAuth") ||
        !add_extension(x.get(), ctx, NID_subject_key_identifier, "hash") ||
        !add_extension(x.get(), ctx, NID_authority_key_identifier, "keyid:always") ||
        (!san.empty() && !add_extension(x.get(), ctx, NID_subject_alt_name, san))) {
        return last_error();
    }
    if (X509_sign(x.get(), key.get(), EVP_sha256()) == 0) {
        return last_error();
    }
    const owned<BIO> cert_bio(BIO_new(BIO_s_mem()));
    const owned<BIO> key_bio(BIO_new(BIO_s_mem()));
    if (!cert_bio || !key_bio || PEM_write_bio_X509(cert_bio.get(), x.get()) != 1 ||
        PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
        !to_pem(cert_bio.get(), out.certificate) || !to_pem(key_bio.get(), out.private_key)) {
        return last_error();
    }
    return {};
}

} // namespace llmio::testing::detail

#endif // LLMIO_TESTING_DETAIL_MOCK_CERTIFICATE_HPP
