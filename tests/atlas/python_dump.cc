#include "python_dump.h"

#include <cmath>

#include "catch2/catch.hpp"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace haystack::testing {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void Str(Writer& w, const std::string& s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

template <class T>
void Num(Writer& w, T v) {
  if constexpr (std::is_same_v<T, bool>) {
    w.Bool(v);
  } else if constexpr (std::is_integral_v<T>) {
    w.Int64(static_cast<int64_t>(v));
  } else {
    w.Double(static_cast<double>(v));
  }
}

void WriteColumn(Writer& w, const DataFrameColumn& c) {
  w.StartObject();
  std::visit(
      [&](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        w.Key("dtype");
        if constexpr (std::is_same_v<V, Categorical>) {
          Str(w, "category");
          w.Key("categories");
          w.StartArray();
          for (const auto& s : v.categories) Str(w, s);
          w.EndArray();
          w.Key("codes");
          w.StartArray();
          for (int32_t code : v.codes) w.Int(code);
          w.EndArray();
          w.Key("ordered");
          w.Bool(v.ordered);
        } else {
          std::string dtype;
          if constexpr (std::is_same_v<V, std::vector<double>>) dtype = "float64";
          if constexpr (std::is_same_v<V, std::vector<float>>) dtype = "float32";
          if constexpr (std::is_same_v<V, std::vector<int64_t>>) dtype = c.mask ? "Int64" : "int64";
          if constexpr (std::is_same_v<V, std::vector<int32_t>>) dtype = c.mask ? "Int32" : "int32";
          if constexpr (std::is_same_v<V, std::vector<bool>>) dtype = c.mask ? "boolean" : "bool";
          if constexpr (std::is_same_v<V, std::vector<std::string>>) {
            dtype = c.mask ? "string" : "object";
          }
          Str(w, dtype);
          w.Key("values");
          w.StartArray();
          for (size_t i = 0; i < v.size(); ++i) {
            if (c.mask && (*c.mask)[i]) {
              w.Null();
            } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
              Str(w, v[i]);
            } else {
              Num(w, static_cast<typename V::value_type>(v[i]));
            }
          }
          w.EndArray();
        }
      },
      c.values);
  w.EndObject();
}

void WriteFrame(Writer& w, const DataFrame& df) {
  w.StartObject();
  w.Key("index");
  w.StartArray();
  for (const auto& s : df.index) Str(w, s);
  w.EndArray();
  w.Key("columns");
  w.StartArray();
  for (const auto& c : df.columns) Str(w, c.name);
  w.EndArray();
  w.Key("data");
  w.StartObject();
  for (const auto& c : df.columns) {
    Str(w, c.name);
    WriteColumn(w, c);
  }
  w.EndObject();
  w.EndObject();
}

template <class T>
void WriteArray(Writer& w, const std::vector<T>& values, const std::vector<int64_t>& shape) {
  w.StartObject();
  w.Key("array");
  w.StartArray();
  for (size_t i = 0; i < values.size(); ++i) {
    if constexpr (std::is_same_v<T, std::string>) {
      Str(w, values[i]);
    } else {
      Num(w, static_cast<T>(values[i]));
    }
  }
  w.EndArray();
  w.Key("shape");
  w.StartArray();
  for (int64_t d : shape) w.Int64(d);
  w.EndArray();
  w.EndObject();
}

void WriteTree(Writer& w, const UnsValue& value) {
  std::visit(
      [&](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::monostate>) {
          w.Null();
        } else if constexpr (std::is_same_v<V, bool> || std::is_same_v<V, int64_t> ||
                             std::is_same_v<V, double>) {
          Num(w, v);
        } else if constexpr (std::is_same_v<V, std::string>) {
          Str(w, v);
        } else if constexpr (std::is_same_v<V, NumericArray>) {
          std::visit([&](const auto& data) { WriteArray(w, data, v.shape); }, v.data);
        } else if constexpr (std::is_same_v<V, UnsValue::Dict>) {
          w.StartObject();
          for (const auto& [k, x] : v) {
            if (x.template is<std::monostate>()) continue;
            Str(w, k);
            WriteTree(w, x);
          }
          w.EndObject();
        } else if constexpr (std::is_same_v<V, UnsValue::List>) {
          // Python sees a list as a dict keyed by position.
          w.StartObject();
          for (size_t i = 0; i < v.size(); ++i) {
            Str(w, std::to_string(i));
            WriteTree(w, v[i]);
          }
          w.EndObject();
        } else if constexpr (std::is_same_v<V, DataFrame>) {
          w.StartObject();
          w.Key("dataframe");
          WriteFrame(w, v);
          w.EndObject();
        } else {
          WriteArray(w, v, {static_cast<int64_t>(v.size())});
        }
      },
      value.value);
}

void WriteDense(Writer& w, const ExpressionMatrix& m) {
  const DenseMatrix dense = std::holds_alternative<DenseMatrix>(m)
                                ? std::get<DenseMatrix>(m)
                                : ToDense(std::get<CsrMatrix>(m));
  w.StartArray();
  for (float v : dense.values) w.Double(v);
  w.EndArray();
}

std::string Describe(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  std::string s = buf.GetString();
  return s.size() > 200 ? s.substr(0, 200) + "…" : s;
}

std::string Diff(const rapidjson::Value& a, const rapidjson::Value& b, const std::string& path) {
  if (a.IsNumber() && b.IsNumber()) {
    const double x = a.GetDouble(), y = b.GetDouble();
    if (x == y || (std::isnan(x) && std::isnan(y))) return "";
    return path + ": " + Describe(a) + " vs " + Describe(b);
  }
  if (a.GetType() != b.GetType() && !(a.IsBool() && b.IsBool())) {
    return path + ": " + Describe(a) + " vs " + Describe(b);
  }
  if (a.IsObject()) {
    for (auto it = a.MemberBegin(); it != a.MemberEnd(); ++it) {
      const std::string key = it->name.GetString();
      if (!b.HasMember(it->name)) return path + "/" + key + ": missing on the right";
      std::string d = Diff(it->value, b[it->name], path + "/" + key);
      if (!d.empty()) return d;
    }
    for (auto it = b.MemberBegin(); it != b.MemberEnd(); ++it) {
      if (!a.HasMember(it->name))
        return path + "/" + it->name.GetString() + ": missing on the left";
    }
    return "";
  }
  if (a.IsArray()) {
    if (a.Size() != b.Size()) {
      return path + ": " + std::to_string(a.Size()) + " vs " + std::to_string(b.Size()) + " items";
    }
    for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
      std::string d = Diff(a[i], b[i], path + "[" + std::to_string(i) + "]");
      if (!d.empty()) return d;
    }
    return "";
  }
  return a == b ? "" : path + ": " + Describe(a) + " vs " + Describe(b);
}

}  // namespace

std::string CanonicalJson(const AnnData& data) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("shape");
  w.StartArray();
  w.Int64(data.n_obs());
  w.Int64(data.n_vars());
  w.EndArray();
  w.Key("X");
  if (data.x) {
    WriteDense(w, *data.x);
  } else {
    w.Null();
  }
  w.Key("obs");
  WriteFrame(w, data.obs);
  w.Key("var");
  WriteFrame(w, data.var);
  w.Key("uns");
  WriteTree(w, UnsValue(data.uns));
  w.Key("obsm");
  w.StartObject();
  for (const auto& [k, a] : data.obsm) {
    Str(w, k);
    WriteTree(w, UnsValue(a));
  }
  w.EndObject();
  w.Key("layers");
  w.StartObject();
  for (const auto& [k, m] : data.layers) {
    Str(w, k);
    WriteDense(w, m);
  }
  w.EndObject();
  w.EndObject();
  return buf.GetString();
}

std::string RunAnndataReference(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/python3",
                                   (SourceDir() / "tests/atlas/anndata_reference.py").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions options;
  options.env["PYTHONDONTWRITEBYTECODE"] = "1";
  ProcessResult r = RunProcess(argv, options);
  INFO("python stderr: " << r.stderr_text);
  REQUIRE(r.exit_code == 0);
  return r.stdout_text;
}

std::string FirstDifference(const std::string& expected_json, const std::string& actual_json) {
  rapidjson::Document a, b;
  a.Parse(expected_json.c_str());
  b.Parse(actual_json.c_str());
  if (a.HasParseError()) return "expected side is not JSON";
  if (b.HasParseError()) return "actual side is not JSON";
  return Diff(a, b, "");
}

}  // namespace haystack::testing
