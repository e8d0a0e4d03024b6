using ClaudeSessionSidecar.Engine.Cli;
using Newtonsoft.Json.Linq;

namespace ClaudeSessionSidecar.Tests.Edits;

/// <summary>The proposed change of each edit tool, read from a real folder; the CLI's own runs are in <see cref="EndToEnd.ProposedEditTests"/>.</summary>
public sealed class ToolEditsTests : IDisposable
{
    private readonly string workspace = Directory.CreateTempSubdirectory("tool-edits-").FullName;

    public void Dispose() => Directory.Delete(workspace, recursive: true);

    [Fact]
    public void An_edit_whose_old_string_is_not_in_the_file_does_not_apply()
    {
        var path = WriteFile("a.txt", "one\ntwo\n");

        var proposed = ToolEdits.Propose("Edit", new JObject { ["file_path"] = path, ["old_string"] = "three", ["new_string"] = "3" }, workspace);

        Assert.Equal(new ProposedEdit(path, null, UnshownEdit.DoesNotApply), proposed);
    }

    [Fact]
    public void A_multi_edit_applies_its_edits_in_order_and_replace_all_replaces_every_one()
    {
        var path = WriteFile("m.txt", "a b a\nc\n");
        var edits = new JArray(
            new JObject { ["old_string"] = "a", ["new_string"] = "x", ["replace_all"] = true },
            new JObject { ["old_string"] = "c", ["new_string"] = "x c" });

        var change = ToolEdits.Propose("MultiEdit", new JObject { ["file_path"] = path, ["edits"] = edits }, workspace)!.Change!;

        Assert.Equal("a b a\nc\n", change.OldText);
        Assert.Equal("x b x\nx c\n", change.NewText);
        Assert.Equal(1, change.Line);
    }

    [Fact]
    public void A_notebook_edit_is_the_change_of_its_cell_source()
    {
        var cells = new JArray(new JObject { ["id"] = "c1", ["cell_type"] = "code", ["source"] = new JArray("x = 1\n", "y = 2") });
        var path = WriteFile("n.ipynb", new JObject { ["cells"] = cells }.ToString());

        var replaced = ToolEdits.Propose("NotebookEdit", new JObject { ["notebook_path"] = path, ["cell_id"] = "c1", ["new_source"] = "x = 3\ny = 2" }, workspace)!.Change!;
        var missing = ToolEdits.Propose("NotebookEdit", new JObject { ["notebook_path"] = path, ["cell_id"] = "c9", ["new_source"] = "z" }, workspace)!;

        Assert.Equal(("x = 1\ny = 2", "x = 3\ny = 2", "c1"), (replaced.OldText, replaced.NewText, replaced.NotebookCell));
        Assert.Equal(UnshownEdit.DoesNotApply, missing.Unshown);
    }

    [Fact]
    public void A_symlink_a_relative_path_and_a_tool_that_edits_no_file_are_not_read()
    {
        var target = WriteFile("real.txt", "real\n");
        var link = Path.Combine(workspace, "link.txt");
        File.CreateSymbolicLink(link, target);

        Assert.Equal(UnshownEdit.Symlink, ToolEdits.Propose("Write", new JObject { ["file_path"] = link, ["content"] = "x" }, workspace)!.Unshown);
        Assert.Null(ToolEdits.Propose("Write", new JObject { ["file_path"] = "real.txt", ["content"] = "x" }, workspace));
        Assert.Null(ToolEdits.Propose("Bash", new JObject { ["command"] = "ls" }, workspace));
    }

    [Fact]
    public void A_folder_inside_the_workspace_reached_through_dot_dot_from_outside_is_still_outside()
    {
        var outside = Directory.CreateTempSubdirectory("tool-edits-outside-").FullName;
        try
        {
            var path = Path.Combine(workspace, "..", Path.GetFileName(outside), "x.txt");
            Assert.Equal(UnshownEdit.OutsideWorkspace, ToolEdits.Propose("Write", new JObject { ["file_path"] = path, ["content"] = "x" }, workspace)!.Unshown);
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public void The_applied_change_is_read_from_the_CLIs_record_of_an_edit_and_of_a_new_file()
    {
        var edit = ToolEdits.Applied("Edit", new JObject
        {
            ["filePath"] = "/w/a.txt", ["oldString"] = "two", ["newString"] = "2", ["originalFile"] = "one\ntwo\n", ["replaceAll"] = false,
        })!;
        var created = ToolEdits.Applied("Write", new JObject { ["type"] = "create", ["filePath"] = "/w/b.txt", ["content"] = "b", ["originalFile"] = null })!;

        Assert.Equal(("one\ntwo\n", "one\n2\n", 2), (edit.OldText, edit.NewText, edit.Line));
        Assert.Equal((null, "b"), (created.OldText, created.NewText));
        Assert.Null(ToolEdits.Applied("Edit", new JObject { ["filePath"] = "/w/a.txt" }));
    }

    private string WriteFile(string name, string text)
    {
        var path = Path.Combine(workspace, name);
        File.WriteAllText(path, text);
        return path;
    }
}
