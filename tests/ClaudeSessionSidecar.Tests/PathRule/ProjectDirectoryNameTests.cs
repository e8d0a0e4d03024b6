using ClaudeSessionSidecar.Engine.Transcripts;
using ClaudeSessionSidecar.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Tests.PathRule;

/// <summary>
/// The path rule against 40 folder names the real CLI 2.1.328 created (TestData/path-rule/vectors.json;
/// how they were measured: FINDINGS.md there). <see cref="PathRuleLiveTests"/> re-measures a subset on every run.
/// </summary>
public sealed class ProjectDirectoryNameTests
{
    public static TheoryData<string, string, string> Vectors()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var vector in TranscriptLines.Parse(File.ReadAllText(Repository.TestData("path-rule", "vectors.json"))).Cast<JObject>())
        {
            data.Add((string)vector["name"]!, (string)vector["realPath"]!, (string)vector["projectDir"]!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Encodes_the_real_path_as_the_CLI_named_its_folder(string name, string realPath, string projectDir)
    {
        Assert.True(ProjectDirectoryName.Encode(realPath) == projectDir, $"{name}: expected {projectDir}, got {ProjectDirectoryName.Encode(realPath)}");
    }

    [Fact]
    public void The_vectors_cover_every_case_the_rule_has()
    {
        var names = Vectors().Select(row => (string)row[0]).ToHashSet();
        string[] required = ["dots", "spaces", "nfc-e-acute", "emoji-surrogate-pair", "length-199", "length-200", "length-201", "length-202", "hash-int-min", "symlink-leaf", "symlink-middle"];
        Assert.All(required, name => Assert.Contains(name, names));
    }

    [Theory]
    [InlineData("/a.b", "-a-b")]
    [InlineData("/a b/é", "-a-b--")]
    [InlineData("/x/😀", "-x---")]
    public void Replaces_each_UTF16_code_unit_outside_ASCII_letters_and_digits(string path, string expected)
    {
        Assert.Equal(expected, ProjectDirectoryName.Encode(path));
    }

    [Fact]
    public void A_name_of_exactly_200_characters_keeps_no_suffix_and_201_gets_one()
    {
        var exactly200 = "/" + new string('a', 199);
        var over200 = "/" + new string('a', 200);
        Assert.Equal(ProjectDirectoryName.Sanitize(exactly200), ProjectDirectoryName.Encode(exactly200));
        Assert.StartsWith(ProjectDirectoryName.Sanitize(over200)[..200] + "-", ProjectDirectoryName.Encode(over200), StringComparison.Ordinal);
        Assert.True(ProjectDirectoryName.Encode(over200).Length > 201);
    }

    [Fact]
    public void The_hash_suffix_of_int_MinValue_is_its_unsigned_magnitude()
    {
        Assert.Equal("zik0zk", ProjectDirectoryName.Base36(Math.Abs((long)int.MinValue)));
        Assert.Equal("zik0zj", ProjectDirectoryName.Base36(int.MaxValue));
        Assert.Equal("0", ProjectDirectoryName.Base36(0));
    }
}
