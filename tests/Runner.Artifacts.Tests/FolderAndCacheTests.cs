using Runner.Artifacts;

namespace Runner.Artifacts.Tests;

public class FolderAndCacheTests
{
    static string MakeFolder(string at)
    {
        foreach (var (name, text) in new[] { ("b/2.png", "two"), ("a/1.png", "one"), ("a/sub/3.png", "three") })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(at, name))!);
            File.WriteAllText(Path.Combine(at, name), text);
        }
        return at;
    }

    [Fact]
    public void The_same_files_make_the_same_archive_wherever_the_folder_is_and_unpack_to_the_same_files()
    {
        string root = ScratchFolders.New("archive");
        string one = MakeFolder(Path.Combine(root, "one")), two = MakeFolder(Path.Combine(root, "elsewhere", "two"));
        File.SetLastWriteTimeUtc(Path.Combine(two, "a/1.png"), new DateTime(2001, 1, 1));   // times are not part of it
        FolderArchive.Write(one, Directory.GetFiles(one, "*", SearchOption.AllDirectories), Path.Combine(root, "one.tar"));
        FolderArchive.Write(two, Directory.GetFiles(two, "*", SearchOption.AllDirectories).Reverse(), Path.Combine(root, "two.tar"));
        Assert.Equal(ContentHash.Of(Path.Combine(root, "one.tar")), ContentHash.Of(Path.Combine(root, "two.tar")));

        string unpacked = Path.Combine(root, "unpacked");
        FolderArchive.Extract(Path.Combine(root, "one.tar"), unpacked);
        Assert.Equal("three", File.ReadAllText(Path.Combine(unpacked, "a/sub/3.png")));
        Assert.Equal(3, Directory.GetFiles(unpacked, "*", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public void The_cache_evicts_the_least_recently_used_entries_first_and_never_one_in_use()
    {
        string root = ScratchFolders.New("cache");
        var cache = new ArtifactCache(root, maxBytes: 2_500_000);
        string[] shas = Enumerable.Range(0, 4).Select(i => new string((char)('a' + i), 64)).ToArray();
        for (int i = 0; i < 3; i++)
        {
            File.WriteAllBytes(cache.FileOf(shas[i]), new byte[1_000_000]);
            File.SetLastWriteTimeUtc(cache.FileOf(shas[i]), DateTime.UtcNow.AddHours(-3 + i));   // a used longest ago, c last
        }
        Assert.NotNull(cache.TryFile(shas[0]));   // using a makes b the oldest
        File.WriteAllBytes(cache.FileOf(shas[3]), new byte[1_000_000]);
        cache.Trim(cache.FileOf(shas[3]));

        Assert.Equal(new[] { true, false, false, true }, shas.Select(s => File.Exists(cache.FileOf(s))));
        Assert.True(cache.SizeBytes() <= 2_500_000);
    }

    [Theory]
    [InlineData("../outside.png", "relative paths inside")]
    [InlineData("/etc/evil.png", "relative paths inside")]
    [InlineData("a/../../evil.png", "relative paths inside")]
    [InlineData("link", "only regular files")]
    public void An_archive_with_a_path_out_of_its_folder_or_a_link_is_refused_and_nothing_is_left(string entryName, string reason)
    {
        string root = ScratchFolders.New("hostile");
        string tar = Path.Combine(root, "hostile.tar");
        using (var writer = new System.Formats.Tar.TarWriter(File.Create(tar), System.Formats.Tar.TarEntryFormat.Gnu, leaveOpen: false))
        {
            writer.WriteEntry(new System.Formats.Tar.GnuTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "fine/1.png") { DataStream = new MemoryStream(new byte[] { 1 }) });
            if (entryName == "link")
                writer.WriteEntry(new System.Formats.Tar.GnuTarEntry(System.Formats.Tar.TarEntryType.SymbolicLink, "link") { LinkName = "/etc" });
            else
                writer.WriteEntry(new System.Formats.Tar.GnuTarEntry(System.Formats.Tar.TarEntryType.RegularFile, entryName) { DataStream = new MemoryStream(new byte[] { 2 }) });
        }
        string folder = Path.Combine(root, "unpacked");
        var e = Assert.Throws<InvalidDataException>(() => FolderArchive.Extract(tar, folder));
        Assert.Contains(reason, e.Message);
        Assert.False(Directory.Exists(folder));
        Assert.False(Directory.Exists(folder + ".tmp"));
        Assert.False(File.Exists(Path.Combine(root, "outside.png")));
    }
}
