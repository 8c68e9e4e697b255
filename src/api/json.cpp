#include "api/json.hpp"

#include <algorithm>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <boost/locale/utf.hpp>

namespace botcore::api {

namespace {
using Utf = boost::locale::utf::utf_traits<char>;

bool is_code_point(boost::locale::utf::code_point c) {
    return c != boost::locale::utf::illegal && c != boost::locale::utf::incomplete;
}

// RapidJSON checks the raw bytes of a body, but turns an escaped lone surrogate ("\\udc00") into
// bytes that are not UTF-8.
bool valid_utf8(std::string_view text) {
    for (auto it = text.begin(); it != text.end();) {
        if (!is_code_point(Utf::decode(it, text.end()))) {
            return false;
        }
    }
    return true;
}

bool valid_text(const rapidjson::Value& v) {
    if (v.IsString()) {
        return valid_utf8({v.GetString(), v.GetStringLength()});
    }
    if (v.IsArray()) {
        return std::all_of(v.Begin(), v.End(), [](const rapidjson::Value& item) {
            return !item.IsString() || valid_utf8({item.GetString(), item.GetStringLength()});
        });
    }
    return true;
}

// Text a client sent can be echoed back (in error messages, cut at a byte count) and RapidJSON
// copies string bytes as they are: anything that is not UTF-8 becomes U+FFFD, so every body and
// WebSocket text frame stays valid UTF-8.
template <class Write>
void write_utf8(std::string_view text, Write write) {
    std::string repaired;
    auto it = text.begin();
    while (it != text.end()) {
        const auto start = it;
        if (!is_code_point(Utf::decode(it, text.end()))) {
            if (repaired.empty()) {
                repaired.assign(text.begin(), start);
            }
            repaired += "\xEF\xBF\xBD";
            it = start + 1;
        } else if (!repaired.empty()) {
            repaired.append(start, it);
        }
    }
    if (repaired.empty()) {
        write(text.data(), text.size());
    } else {
        write(repaired.data(), repaired.size());
    }
}
}  // namespace

struct JsonWriter::Impl {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer{buffer};
};

JsonWriter::JsonWriter() : impl_(std::make_unique<Impl>()) {}
JsonWriter::~JsonWriter() = default;

void JsonWriter::begin_object() {
    impl_->writer.StartObject();
}
void JsonWriter::end_object() {
    impl_->writer.EndObject();
}
void JsonWriter::begin_array() {
    impl_->writer.StartArray();
}
void JsonWriter::end_array() {
    impl_->writer.EndArray();
}

void JsonWriter::key(std::string_view name) {
    write_utf8(name, [this](const char* data, std::size_t size) {
        impl_->writer.Key(data, static_cast<rapidjson::SizeType>(size));
    });
}
void JsonWriter::value(std::string_view text) {
    write_utf8(text, [this](const char* data, std::size_t size) {
        impl_->writer.String(data, static_cast<rapidjson::SizeType>(size));
    });
}
void JsonWriter::value(std::int64_t number) {
    impl_->writer.Int64(number);
}
void JsonWriter::value(double number) {
    impl_->writer.Double(number);
}
void JsonWriter::value(bool flag) {
    impl_->writer.Bool(flag);
}
void JsonWriter::null() {
    impl_->writer.Null();
}
void JsonWriter::raw(std::string_view json) {
    impl_->writer.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}
std::string JsonWriter::take() {
    std::string out(impl_->buffer.GetString(), impl_->buffer.GetSize());
    impl_->buffer.Clear();
    impl_->writer.Reset(impl_->buffer);
    return out;
}

std::string clip(std::string_view text, std::size_t limit) {
    if (text.size() <= limit) {
        return std::string(text);
    }
    return std::string(text.substr(0, limit)) + "...";
}

struct JsonFields::Impl {
    rapidjson::Document doc;
};

JsonFields::JsonFields(std::string_view body, std::initializer_list<std::string_view> allowed)
    : impl_(std::make_unique<Impl>()) {
    auto& doc = impl_->doc;
    // Iterative: a body nested a hundred thousand levels deep must not exhaust the stack.
    doc.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(body.data(),
                                                                                      body.size());
    if (doc.HasParseError()) {
        error_ = ApiError::bad_request(std::string("malformed JSON: ") +
                                       rapidjson::GetParseError_En(doc.GetParseError()) +
                                       " at offset " + std::to_string(doc.GetErrorOffset()));
        return;
    }
    if (!doc.IsObject()) {
        error_ = ApiError::bad_request("the body must be a JSON object");
        return;
    }
    // Which allowed fields were seen: a field given twice is refused, since readers of the body
    // disagree on which of the two counts.
    std::vector<bool> seen(allowed.size());
    for (const auto& member : doc.GetObject()) {
        const std::string_view name(member.name.GetString(), member.name.GetStringLength());
        const auto known = std::find(allowed.begin(), allowed.end(), name);
        if (known == allowed.end()) {
            error_ = ApiError::validation(std::string(name),
                                          "unknown field '" + std::string(name) + "'");
            return;
        }
        const auto index = static_cast<std::size_t>(known - allowed.begin());
        if (seen[index]) {
            error_ = ApiError::validation(std::string(name),
                                          "field '" + std::string(name) + "' is given twice");
            return;
        }
        seen[index] = true;
        if (!valid_text(member.value)) {
            error_ = ApiError::bad_request("'" + std::string(name) + "' is not valid UTF-8");
            return;
        }
    }
}

JsonFields::~JsonFields() = default;

namespace {
const rapidjson::Value* find(const rapidjson::Document& doc, std::string_view name) {
    if (!doc.IsObject()) {
        return nullptr;
    }
    const auto it = doc.FindMember(
        rapidjson::Value(name.data(), static_cast<rapidjson::SizeType>(name.size())));
    return it == doc.MemberEnd() ? nullptr : &it->value;
}
// One reader for every optional field: absent or null is nullopt; a value of another type
// records a validation error naming the field. read returns std::optional<T>.
template <class Read>
auto optional_field(const rapidjson::Document& doc, std::optional<ApiError>& error,
                    std::string_view name, std::string_view expected, Read read)
    -> decltype(read(std::declval<const rapidjson::Value&>())) {
    if (error) {
        return std::nullopt;
    }
    const auto* v = find(doc, name);
    if (v == nullptr || v->IsNull()) {
        return std::nullopt;
    }
    auto value = read(*v);
    if (!value) {
        error = ApiError::validation(
            std::string(name), "'" + std::string(name) + "' must be " + std::string(expected));
    }
    return value;
}

}  // namespace

std::optional<std::string> JsonFields::optional_string(std::string_view name) {
    return optional_field(impl_->doc, error_, name, "a string", [](const rapidjson::Value& v) {
        return v.IsString()
                   ? std::optional<std::string>(std::in_place, v.GetString(), v.GetStringLength())
                   : std::nullopt;
    });
}

std::optional<std::vector<std::string>> JsonFields::optional_string_array(std::string_view name) {
    return optional_field(impl_->doc, error_, name, "an array of strings",
                          [](const rapidjson::Value& v) -> std::optional<std::vector<std::string>> {
                              if (!v.IsArray()) {
                                  return std::nullopt;
                              }
                              std::vector<std::string> out;
                              for (const auto& item : v.GetArray()) {
                                  if (!item.IsString()) {
                                      return std::nullopt;
                                  }
                                  out.emplace_back(item.GetString(), item.GetStringLength());
                              }
                              return out;
                          });
}

std::optional<std::int64_t> JsonFields::optional_int(std::string_view name) {
    return optional_field(impl_->doc, error_, name, "an integer", [](const rapidjson::Value& v) {
        return v.IsInt64() ? std::optional<std::int64_t>(v.GetInt64()) : std::nullopt;
    });
}

std::optional<bool> JsonFields::optional_bool(std::string_view name) {
    return optional_field(impl_->doc, error_, name, "true or false", [](const rapidjson::Value& v) {
        return v.IsBool() ? std::optional<bool>(v.GetBool()) : std::nullopt;
    });
}

std::optional<domain::Decimal> JsonFields::optional_decimal(std::string_view name) {
    auto text = optional_string(name);
    if (!text) {
        return std::nullopt;
    }
    auto value = domain::Decimal::parse(*text);
    if (!value) {
        fail(
            ApiError::validation(std::string(name), "'" + std::string(name) +
                                                        "' must be a decimal string with at most 8 "
                                                        "fractional digits, like \"0.5\""));
    }
    return value;
}

domain::Decimal JsonFields::required_decimal(std::string_view name) {
    const auto* v = error_ ? nullptr : find(impl_->doc, name);
    if (!error_ && (v == nullptr || v->IsNull())) {
        error_ = ApiError::validation(std::string(name), "'" + std::string(name) + "' is required");
    }
    return optional_decimal(name).value_or(domain::Decimal{});
}

std::optional<std::optional<domain::Decimal>> JsonFields::nullable_decimal(std::string_view name) {
    const auto* v = error_ ? nullptr : find(impl_->doc, name);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (v->IsNull()) {
        return std::optional<domain::Decimal>{};
    }
    auto value = optional_decimal(name);
    return value ? std::optional<std::optional<domain::Decimal>>(value) : std::nullopt;
}

void JsonFields::fail(ApiError error) {
    if (!error_) {
        error_ = std::move(error);
    }
}

std::string JsonFields::required_string(std::string_view name) {
    const auto* v = error_ ? nullptr : find(impl_->doc, name);
    if (!error_ && (v == nullptr || v->IsNull())) {
        error_ = ApiError::validation(std::string(name), "'" + std::string(name) + "' is required");
    }
    return optional_string(name).value_or(std::string{});
}

}  // namespace botcore::api
