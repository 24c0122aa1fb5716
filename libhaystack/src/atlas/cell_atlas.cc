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
    case AtlasField::kTissueName:
      return "tissue";
    case AtlasField::kDiseaseName:
      return "disease";
  }
  return "";
}

std::span<const std::string_view> ColumnCandidates(AtlasField field) {
  // Common spellings in CELLxGENE, scanpy/Seurat exports and perturbation atlases (Perturb-seq,
  // cytokine and drug screens). "condition" comes last for the perturbation: where an atlas
  // has both, "condition" is usually a time point or a state rather than the treatment.
  static constexpr std::string_view kCellType[] = {"cell_type_ontology_term_id"};
  static constexpr std::string_view kCellTypeName[] = {"cell_type"};
  static constexpr std::string_view kTissue[] = {"tissue_ontology_term_id"};
  static constexpr std::string_view kDisease[] = {"disease_ontology_term_id"};
  static constexpr std::string_view kDonor[] = {"donor_id",   "donor",      "patient",
                                                "patient_id", "individual", "subject_id"};
  static constexpr std::string_view kDataset[] = {"dataset", "dataset_id"};
  static constexpr std::string_view kPerturbation[] = {"perturbation", "treatment",    "cytokine",
                                                       "drug",         "compound",     "gene",
                                                       "target_gene",  "guide_target", "condition"};
  static constexpr std::string_view kPerturbationType[] = {"perturbation_type"};
  static constexpr std::string_view kIsControl[] = {"is_control"};
  static constexpr std::string_view kCondition[] = {"condition", "time_point", "timepoint", "time"};
  static constexpr std::string_view kTissueName[] = {"tissue"};
  static constexpr std::string_view kDiseaseName[] = {"disease"};
  switch (field) {
    case AtlasField::kCellType:
      return kCellType;
    case AtlasField::kCellTypeName:
      return kCellTypeName;
    case AtlasField::kTissue:
      return kTissue;
    case AtlasField::kDisease:
      return kDisease;
    case AtlasField::kDonor:
      return kDonor;
    case AtlasField::kDataset:
      return kDataset;
    case AtlasField::kPerturbation:
      return kPerturbation;
    case AtlasField::kPerturbationType:
      return kPerturbationType;
    case AtlasField::kIsControl:
      return kIsControl;
    case AtlasField::kCondition:
      return kCondition;
    case AtlasField::kTissueName:
      return kTissueName;
    case AtlasField::kDiseaseName:
      return kDiseaseName;
  }
  return {};
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
