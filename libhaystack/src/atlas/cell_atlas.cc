#include "haystack/atlas/cell_atlas.h"

#include <fstream>
#include <sstream>

#include "haystack/core/error.h"
#include "haystack/core/json.h"
#include "internal/cat.h"

namespace haystack {

using atlas_internal::Cat;

std::string_view DefaultColumnName(AtlasField field) {
  switch (field) {
    case AtlasField::kCellType:
      return "cell_type_ontology_term_id";
    case AtlasField::kCellTypeName:
      return "cell_type";
    case AtlasField::kTissue:
      return "tissue_ontology_term_id";
    case AtlasField::kDisease:
      return "disease_ontology_term_id";
    case AtlasField::kDonor:
      return "donor_id";
    case AtlasField::kDataset:
      return "dataset";
    case AtlasField::kPerturbation:
      return "perturbation";
    case AtlasField::kPerturbationType:
      return "perturbation_type";
    case AtlasField::kIsControl:
      return "is_control";
    case AtlasField::kCondition:
      return "condition";
  }
  return "";
}

std::optional<AtlasField> AtlasFieldFromName(std::string_view canonical_name) {
  for (AtlasField f : kAllAtlasFields) {
    if (DefaultColumnName(f) == canonical_name) return f;
  }
  return std::nullopt;
}

bool IsRequiredField(AtlasField field) {
  return field == AtlasField::kCellType || field == AtlasField::kDonor;
}

std::string AtlasColumnMapping::ColumnFor(AtlasField field) const {
  auto it = columns.find(field);
  return it != columns.end() ? it->second : std::string(DefaultColumnName(field));
}

absl::StatusOr<AtlasColumnMapping> AtlasColumnMapping::FromJson(std::string_view json,
                                                                std::string_view what) {
  HAYSTACK_ASSIGN_OR_RETURN(rapidjson::Document doc, ParseJsonDocument(json, what));
  if (!doc.IsObject()) {
    return ConfigurationError(Cat(what, ": expected a JSON object from field names to columns"));
  }
  AtlasColumnMapping mapping;
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    const std::string key(it->name.GetString(), it->name.GetStringLength());
    const std::optional<AtlasField> field = AtlasFieldFromName(key);
    if (!field) {
      std::string known;
      for (AtlasField f : kAllAtlasFields)
        known += Cat(known.empty() ? "" : ", ", DefaultColumnName(f));
      return ConfigurationError(
          Cat(what, ": unknown field '", key, "' (known fields: ", known, ")"));
    }
    if (!it->value.IsString() || it->value.GetStringLength() == 0) {
      return ConfigurationError(Cat(what, ".", key, ": expected a non-empty column name"));
    }
    mapping.columns[*field] = std::string(it->value.GetString(), it->value.GetStringLength());
  }
  return mapping;
}

absl::StatusOr<AtlasColumnMapping> AtlasColumnMapping::ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return ConfigurationError(Cat("cannot read the atlas column mapping ", path));
  std::stringstream buf;
  buf << in.rdbuf();
  return FromJson(buf.str(), path);
}

}  // namespace haystack
