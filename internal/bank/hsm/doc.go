// Package hsm holds the bank link's security primitives as pure functions:
// key parsing and check values ([Key], [Key.KCV]), legacy key wrapping for
// the sign-on key exchange ([WrapKey], [UnwrapKey]), ISO 9564-1 PIN blocks
// (format 0 for TDES: [EncryptPINBlock0]; format 4 for AES:
// [EncryptPINBlock4]) and message authentication codes ([MACX919],
// [MACX99], [CMAC], selected by a [MACAlgorithm]). It is a software stand-in
// for a hardware security module: the algorithms are the ones an HSM runs,
// the keys are held in process memory.
//
// Guarantees:
//
//   - No I/O and no logging. Randomness is read only from the [io.Reader]
//     passed in (nil means crypto/rand), so every function is deterministic
//     under a fixed reader.
//   - Key material, PINs, clear or enciphered PIN blocks and full PANs never
//     appear in an error string. Errors are the sentinels below (test them
//     with [errors.Is]), optionally wrapped with lengths or check values.
//   - A [Key] never prints its bytes: String, Format (every fmt verb),
//     MarshalText (JSON) and [slog.LogValuer] show only its kind and KCV,
//     and a Key nested in another struct prints as a pointer, not as bytes.
//     Key has no accessor for its bytes; it leaves the package only as a
//     cryptogram ([WrapKey]).
//   - A key is used only by the operations of its family: TDES keys for
//     format 0 and X9.19, AES keys for format 4 and CMAC, single-length DES
//     only for the legacy X9.9 MAC; anything else fails with [ErrKeyKind].
//   - Decryption with the wrong key is reported as [ErrBadPINBlock] or
//     [ErrKCVMismatch], never as a wrong PIN or a wrong key.
//   - MACs are compared in constant time ([MACAlgorithm.Verify]).
//
// Every algorithm is checked byte for byte against the published and
// computed vectors of PROTOCOLS.md §2.10 and the sample 0200 of §2.11.
package hsm
