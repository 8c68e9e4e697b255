#include "api/json.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace botcore::api {

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
    impl_->writer.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
}
void JsonWriter::value(std::string_view text) {
    impl_->writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
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

struct JsonFields::Impl {
    rapidjson::Document doc;
};

JsonFields::JsonFields(std::string_view body, std::initializer_list<std::string_view> allowed)
    : impl_(std::make_unique<Impl>()) {
    auto& doc = impl_->doc;
    doc.Parse<rapidjson::kParseValidateEncodingFlag>(body.data(), body.size());
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
    for (const auto& member : doc.GetObject()) {
        const std::string_view name(member.name.GetString(), member.name.GetStringLength());
        bool known = false;
        for (auto candidate : allowed) {
            known = known || candidate == name;
        }
        if (!known) {
            error_ = ApiError::validation(std::string(name),
                                          "unknown field '" + std::string(name) + "'");
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
}  // namespace

bool JsonFields::has(std::string_view name) const {
    return !error_ && find(impl_->doc, name) != nullptr;
}

std::string JsonFields::required_string(std::string_view name) {
    if (error_) {
        return {};
    }
    const auto* v = find(impl_->doc, name);
    if (v == nullptr) {
        error_ = ApiError::validation(std::string(name), "'" + std::string(name) + "' is required");
        return {};
    }
    if (!v->IsString()) {
        error_ =
            ApiError::validation(std::string(name), "'" + std::string(name) + "' must be a string");
        return {};
    }
    return std::string(v->GetString(), v->GetStringLength());
}

std::optional<std::string> JsonFields::optional_string(std::string_view name) {
    if (error_) {
        return std::nullopt;
    }
    const auto* v = find(impl_->doc, name);
    if (v == nullptr || v->IsNull()) {
        return std::nullopt;
    }
    if (!v->IsString()) {
        error_ =
            ApiError::validation(std::string(name), "'" + std::string(name) + "' must be a string");
        return std::nullopt;
    }
    return std::string(v->GetString(), v->GetStringLength());
}

std::optional<std::int64_t> JsonFields::optional_int(std::string_view name) {
    if (error_) {
        return std::nullopt;
    }
    const auto* v = find(impl_->doc, name);
    if (v == nullptr || v->IsNull()) {
        return std::nullopt;
    }
    if (!v->IsInt64()) {
        error_ = ApiError::validation(std::string(name),
                                      "'" + std::string(name) + "' must be an integer");
        return std::nullopt;
    }
    return v->GetInt64();
}

std::optional<bool> JsonFields::optional_bool(std::string_view name) {
    if (error_) {
        return std::nullopt;
    }
    const auto* v = find(impl_->doc, name);
    if (v == nullptr || v->IsNull()) {
        return std::nullopt;
    }
    if (!v->IsBool()) {
        error_ = ApiError::validation(std::string(name),
                                      "'" + std::string(name) + "' must be true or false");
        return std::nullopt;
    }
    return v->GetBool();
}

}  // namespace botcore::api
