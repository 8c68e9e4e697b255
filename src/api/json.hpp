// JSON at the API edge (RapidJSON): a compact writer, and a strict reader of request bodies
// that rejects unknown fields and names the first field that is missing or of the wrong type.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/api_error.hpp"
#include "domain/decimal.hpp"

namespace botcore::api {

class JsonWriter {
  public:
    JsonWriter();
    ~JsonWriter();
    JsonWriter(const JsonWriter&) = delete;
    JsonWriter& operator=(const JsonWriter&) = delete;

    void begin_object();
    void end_object();
    void begin_array();
    void end_array();
    void key(std::string_view name);
    void value(std::string_view text);
    void value(const char* text) { value(std::string_view{text}); }
    void value(std::int64_t number);
    void value(int number) { value(static_cast<std::int64_t>(number)); }
    void value(double number);
    void value(bool flag);
    void null();
    // A pre-serialized JSON value, inserted verbatim.
    void raw(std::string_view json);

    template <class T>
    void field(std::string_view name, const T& v) {
        key(name);
        value(v);
    }

    std::string take();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Text for an error that may echo what a client sent (a symbol, a field name): at most limit
// bytes, then "...", so a megabyte of input is not answered with a megabyte.
std::string clip(std::string_view text, std::size_t limit = 256);

// Reads one JSON object body. Accessors return a neutral value after the first error and
// remember that error; check error() once after reading every field.
class JsonFields {
  public:
    // allowed: every field the body may carry; any other is a validation error.
    JsonFields(std::string_view body, std::initializer_list<std::string_view> allowed);
    ~JsonFields();
    JsonFields(const JsonFields&) = delete;
    JsonFields& operator=(const JsonFields&) = delete;

    std::string required_string(std::string_view name);
    std::optional<std::string> optional_string(std::string_view name);
    std::optional<std::vector<std::string>> optional_string_array(std::string_view name);
    std::optional<std::int64_t> optional_int(std::string_view name);
    std::optional<bool> optional_bool(std::string_view name);
    // Decimal amounts travel as strings ("43250.12"); more than 8 fractional digits, exponents
    // and signs other than a leading '-' are refused.
    std::optional<domain::Decimal> optional_decimal(std::string_view name);
    domain::Decimal required_decimal(std::string_view name);
    // For PATCH: absent -> nullopt; null -> an empty inner optional (clear); else the value.
    std::optional<std::optional<domain::Decimal>> nullable_decimal(std::string_view name);
    // Records a validation error found by the caller (the first error wins).
    void fail(ApiError error);

    const std::optional<ApiError>& error() const { return error_; }

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::optional<ApiError> error_;
};

}  // namespace botcore::api
