// Why an answer is insecure. libunbound 1.17 reports an insecure answer as
// secure=0, bogus=0 and says nothing more, so every insecure answer looked
// alike ("no trust anchor covers this name"). explain_insecure() finds out
// what a validator found, by asking the same validating resolver the
// questions the validator asked:
//   - no configured trust anchor is the name or one of its ancestors;
//   - the chain of trust stops at an unsigned delegation: the parent proves
//     (secure NODATA for DS) that the child has no DS;
//   - the delegation's DS records use only algorithms or digest types the
//     validator does not implement (RFC 8914 EDE 1 / 2);
//   - the denial uses NSEC3 with more iterations than the validator accepts
//     (RFC 9276; EDE 27).
// The questions are asked only for insecure answers, at most one DS and one
// NS query per label between the anchor and the name (kMaxDiagnosisLabels),
// and libunbound caches their answers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "resolver/dns/client.hpp"

namespace speerd::dns {

inline constexpr std::size_t kMaxDiagnosisLabels = 16;
// unbound 1.17's val-nsec3-keysize-iterations: denials with more NSEC3
// iterations are treated as insecure (see the testbed notes on NSEC3 iterations).
inline constexpr std::uint16_t kMaxNsec3Iterations = 150;
inline constexpr std::uint16_t kEdeUnsupportedNsec3Iterations = 27;  // RFC 9276

// The owner names (lower case, trailing dot) of the DS/DNSKEY lines given
// inline and in the files (the files were checked when the context was built).
std::vector<std::string> anchor_owners(const std::vector<std::string>& anchors,
                                       const std::vector<std::string>& files);

// `answer` is insecure; `dns` is the validating resolver without this
// explanation (its own answers are not explained again). `done` gets the
// answer with its outcome's reason (and EDE code, where one fits) filled in.
void explain_insecure(std::shared_ptr<Client> dns,
                      const std::shared_ptr<const std::vector<std::string>>& anchors, Answer answer,
                      std::function<void(Answer)> done);

}  // namespace speerd::dns
