#include "internal/background_genes.h"

#include <set>

namespace haystack::synth_internal {
namespace {

constexpr std::string_view kRibosomal =
    "RPL3 RPL4 RPL5 RPL6 RPL7 RPL7A RPL8 RPL9 RPL10 RPL10A RPL11 RPL12 RPL13 RPL13A RPL14 RPL15 "
    "RPL17 RPL18 RPL18A RPL19 RPL21 RPL22 RPL23 RPL23A RPL24 RPL26 RPL27 RPL27A RPL28 RPL29 RPL30 "
    "RPL31 RPL32 RPL34 RPL35 RPL35A RPL36 RPL36A RPL37 RPL37A RPL38 RPL39 RPL41 RPLP0 RPLP1 RPLP2 "
    "RPS2 RPS3 RPS3A RPS4X RPS5 RPS6 RPS7 RPS8 RPS9 RPS10 RPS11 RPS12 RPS13 RPS14 RPS15 RPS15A "
    "RPS16 RPS17 RPS18 RPS19 RPS20 RPS21 RPS23 RPS24 RPS25 RPS26 RPS27 RPS27A RPS28 RPS29 RPSA";

constexpr std::string_view kMitochondrial =
    "MT-ND1 MT-ND2 MT-CO1 MT-CO2 MT-ATP8 MT-ATP6 MT-CO3 MT-ND3 MT-ND4L MT-ND4 MT-ND5 MT-ND6 "
    "MT-CYB";

constexpr std::string_view kHousekeeping =
    "ACTB GAPDH B2M TMSB4X TMSB10 MALAT1 EEF1A1 EEF2 TPT1 FTL FTH1 UBC UBB PPIA PFN1 CFL1 MYL6 "
    "HSP90AA1 HSP90AB1 HSPA8 NACA EIF1 PTMA NPM1 HNRNPA1 SERF2 H3-3B H3-3A OAZ1 COX4I1 ATP5F1E "
    "UQCRH NDUFA4 SOD1 PRDX1 GSTP1 TXN ARPC1B ARPC2 ARPC3 ITM2B SH3BGRL3 ALDOA ENO1 PKM LDHA LDHB "
    "PGK1 TPI1 GPI YWHAZ TUBA1B TUBB H2AZ1 HMGB1 SRSF3 SNRPD2 SET CALM2 BTF3 EIF4A1 RACK1";

constexpr std::string_view kOther =
    // Immune surface markers and receptors.
    "CD2 CD3G CD5 CD6 CD7 CD9 CD22 CD27 CD28 CD33 CD34 CD36 CD37 CD38 CD40 CD44 CD47 CD48 CD53 "
    "CD55 CD58 CD59 CD63 CD69 CD70 CD81 CD82 CD83 CD86 CD93 CD96 CD99 CD160 CD164 CD247 PTPRC "
    "HLA-A HLA-B HLA-C HLA-E HLA-F HLA-DPB1 HLA-DQA1 HLA-DQB1 HLA-DRB5 HLA-DMA HLA-DMB "
    // Chemokines, receptors and interleukins.
    "CCL3 CCL4 CCL5 CCL7 CCL8 CCL13 CCL18 CCL19 CCL24 CXCL1 CXCL3 CXCL5 CXCL12 CXCL13 CXCL14 "
    "CCR1 CCR2 CCR4 CCR5 CCR6 CCR7 CXCR3 CXCR4 CXCR5 IL1A IL1RN IL2 IL2RA IL2RB IL6R IL7R IL10 "
    "IL12A IL12B IL13 IL15 IL17A IL18 IL21 IL23A IL32 TNFSF10 TNFSF13B LTB "
    // Interferon-stimulated and antiviral genes.
    "ISG20 IFI27 IFI44 IFIT5 IFITM1 IFITM2 IRF9 STAT2 BST2 HERC5 HERC6 EPSTI1 PLSCR1 SAMD9L "
    "PARP9 PARP14 IFIH1 USP18 CMPK2 OASL TRIM22 LY6E "
    // Cytotoxicity and NK receptors.
    "GZMA GZMH GZMM KLRB1 KLRC1 KLRG1 FCGR1A FCGR2A FCGR2B NCAM1 CTSW FGFBP2 SPON2 "
    // Transcription factors.
    "TBX21 GATA3 RORC FOXP3 EOMES TCF7 BCL6 PRDM1 IRF4 SPI1 CEBPA CEBPB CEBPD EBF1 MAX REL STAT3 "
    "STAT4 STAT5A STAT5B STAT6 SMAD2 SMAD3 SMAD4 KLF2 KLF4 KLF6 EGR1 EGR2 EGR3 ATF3 NR4A1 NR4A2 "
    "NR4A3 ID2 ID3 HES1 SOX4 SOX9 TP53 MDM2 CDKN1A CDKN2A JUN JUNB FOS FOSB IER2 ZFP36 NFKBIZ "
    // Cell cycle and proliferation.
    "TOP2A PCNA MCM2 MCM3 MCM4 MCM5 MCM6 MCM7 CCNA2 CCNB1 CCNB2 CCND2 CCND3 CCNE1 CDK1 CDK2 CDK4 "
    "CDK6 CDC20 AURKA AURKB BUB1 PLK1 TYMS STMN1 HMGB2 HMGN2 "
    // Epithelial.
    "CLDN1 CLDN3 CLDN7 MUC1 ELF3 KRT5 KRT7 KRT13 KRT14 KRT15 KRT17 KRT23 SFTPA1 SFTPA2 SCGB1A1 "
    "SCGB3A1 VIL1 TFF1 TFF3 PIGR OLFM4 CEACAM5 CEACAM6 S100P AQP3 SLC26A3 CA2 FABP1 PHGR1 "
    // Stromal and extracellular matrix.
    "PDGFRB SPARC MYL9 THY1 FAP MMP1 MMP2 MMP3 TIMP1 TIMP2 TIMP3 CCN1 IGFBP3 IGFBP5 IGFBP7 "
    "SERPINF1 FBLN1 FBLN2 ELN MGP CFD C3 C7 GSN APOD PDPN COL4A2 COL5A1 COL5A2 COL6A1 COL6A2 "
    "COL6A3 COL12A1 COL14A1 COL15A1 COL18A1 BGN VCAN FBN1 LOX "
    // Myeloid.
    "S100A12 LILRB2 LILRA5 MNDA CTSS CTSB CTSD CTSL PSAP TYROBP FCER1G MAFB C1QA C1QB C1QC APOE "
    "MSR1 MARCO CLEC7A CLEC4E TLR2 TLR4 ITGAM ITGAX CST3 LGALS1 LGALS3 FCN1 SRGN VIM S100A4 "
    "S100A6 S100A10 S100A11 ANXA1 ANXA2 CD52 CORO1A LCP1 LAPTM5 "
    // B cells and plasma cells.
    "IGHM IGHD IGKC IGLC2 JCHAIN MZB1 TCL1A FCRLA VPREB3 BLK CR2 "
    // Signalling.
    "JAK3 TYK2 SOCS3 PIK3CA AKT1 MTOR MAPK1 MAPK3 MAPK14 MAP2K1 KRAS NRAS HRAS BRAF RAF1 EGFR "
    "ERBB2 PTEN IFNAR1 IFNAR2 IKBKB CHUK BCL2 BCL2L1 MCL1 BAX BAK1 CASP3 CASP8 FAS FASLG "
    // Metabolism.
    "HK1 HK2 G6PD ACLY FASN SCD HMGCR LDLR SLC2A1 SLC2A3 IDH1 IDH2 CS ACO2 SDHA SDHB FH MDH2 "
    "GLUL ASNS PHGDH SHMT2 MTHFD2";

void AddAll(std::string_view list, GeneClass cls, std::vector<BackgroundGene>* out) {
  size_t pos = 0;
  while (pos < list.size()) {
    while (pos < list.size() && list[pos] == ' ') ++pos;
    size_t end = list.find(' ', pos);
    if (end == std::string_view::npos) end = list.size();
    if (end > pos) out->push_back({list.substr(pos, end - pos), cls});
    pos = end;
  }
}

std::vector<BackgroundGene> Build() {
  std::vector<BackgroundGene> all;
  AddAll(kRibosomal, GeneClass::kRibosomal, &all);
  AddAll(kMitochondrial, GeneClass::kMitochondrial, &all);
  AddAll(kHousekeeping, GeneClass::kHousekeeping, &all);
  AddAll(kOther, GeneClass::kOther, &all);
  std::vector<BackgroundGene> unique;
  std::set<std::string_view> seen;
  for (const auto& g : all) {
    if (seen.insert(g.symbol).second) unique.push_back(g);
  }
  return unique;
}

}  // namespace

const std::vector<BackgroundGene>& BackgroundGenes() {
  // Built once per call site's lifetime; a function-local constant, not mutable state.
  static const std::vector<BackgroundGene> genes = Build();
  return genes;
}

}  // namespace haystack::synth_internal
