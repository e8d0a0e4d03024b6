using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace ClaudeSessionSidecar.Engine.Transcripts;

/// <summary>
/// A tag cleaned as the SDK's <c>tagSession</c> cleans it (0.3.328, <c>Dne</c>): text with anything beyond ASCII is
/// put in Unicode compatibility form (NFKC: <c>ｄｅｍｏ</c> → <c>demo</c>, <c>e</c>+U+0301 → <c>é</c>) and stripped
/// of format, private-use and unassigned characters, repeated until nothing changes; then trimmed. Without a system
/// ICU library (see <see cref="IcuNormalizer"/>) the tag is only stripped and trimmed.
/// </summary>
public static class TagText
{
    public static string Sanitize(string tag)
    {
        var text = tag;
        if (!Ascii.IsValid(text))
        {
            for (var (previous, round) = (string.Empty, 0); previous != text && round < 10; round++)
            {
                previous = text;
                text = WithoutInvisibles(WithoutLoneSurrogates(IcuNormalizer.IsAvailable ? IcuNormalizer.Nfkc(text) : text));
            }
        }

        return text.Trim(JavaScriptWhiteSpace);
    }

    /// <summary>What JavaScript's <c>trim()</c> removes (U+0085 is not among them, unlike <see cref="string.Trim()"/>).</summary>
    private static readonly char[] JavaScriptWhiteSpace =
        [.. "\t\n\v\f\r \u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u2028\u2029\u202F\u205F\u3000\uFEFF"];

    private static string WithoutLoneSurrogates(string text)
    {
        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(text[i]).Append(text[++i]);
            }
            else if (!char.IsSurrogate(text[i]))
            {
                builder.Append(text[i]);
            }
        }

        return builder.ToString();
    }

    private static string WithoutInvisibles(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.GetUnicodeCategory(rune) is not (UnicodeCategory.Format or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned))
            {
                builder.Append(rune.ToString());
            }
        }

        return builder.ToString();
    }

    /// <summary>
    /// NFKC through the system's ICU: this server runs with invariant globalization (it starts faster), where .NET's
    /// own <see cref="string.Normalize(NormalizationForm)"/> changes nothing. Loaded on first use only.
    /// </summary>
    private static unsafe class IcuNormalizer
    {
        private const int BufferOverflowError = 15;

        private static readonly Lazy<(nint Normalizer, nint Normalize)?> Library = new(Load);

        public static bool IsAvailable => Library.Value is not null;

        public static string Nfkc(string text)
        {
            var (normalizer, normalizeAddress) = Library.Value!.Value;
            var normalize = (delegate* unmanaged<nint, char*, int, char*, int, int*, int>)normalizeAddress;
            for (var capacity = (text.Length * 2) + 16; ; capacity *= 2)
            {
                var buffer = new char[capacity];
                var error = 0;
                int length;
                fixed (char* source = text)
                fixed (char* destination = buffer)
                {
                    length = normalize(normalizer, source, text.Length, destination, capacity, &error);
                }

                if (error == BufferOverflowError)
                {
                    continue;
                }

                return error > 0 ? throw new InvalidOperationException($"ICU could not normalise the text (error {error}).") : new string(buffer, 0, length);
            }
        }

        private static (nint, nint)? Load()
        {
            foreach (var (name, suffix) in Candidates())
            {
                if (NativeLibrary.TryLoad(name, out var library)
                    && NativeLibrary.TryGetExport(library, "unorm2_getNFKCInstance" + suffix, out var getInstance)
                    && NativeLibrary.TryGetExport(library, "unorm2_normalize" + suffix, out var normalize))
                {
                    var error = 0;
                    var normalizer = ((delegate* unmanaged<int*, nint>)getInstance)(&error);
                    if (error <= 0 && normalizer != 0)
                    {
                        return (normalizer, normalize);
                    }
                }
            }

            return null;
        }

        /// <summary>ICU's library names and symbol suffixes, as .NET itself looks for them.</summary>
        private static IEnumerable<(string Name, string Suffix)> Candidates()
        {
            if (OperatingSystem.IsWindows())
            {
                yield return ("icu.dll", string.Empty);
                yield break;
            }

            if (OperatingSystem.IsMacOS())
            {
                yield return ("/usr/lib/libicucore.dylib", string.Empty);
                yield break;
            }

            for (var version = 99; version >= 50; version--)
            {
                var name = $"libicuuc.so.{version.ToString(CultureInfo.InvariantCulture)}";
                yield return (name, "_" + version.ToString(CultureInfo.InvariantCulture));
                yield return (name, string.Empty);
            }
        }
    }
}
