using System.Formats.Tar;

namespace Runner.Artifacts;

/// <summary>
/// A folder as one artifact: a tar of the named files, in ordinal order of their relative paths, with fixed times
/// and owners, so the same files always make the same bytes (and the same SHA-256) wherever the folder sits.
/// </summary>
public static class FolderArchive
{
    static readonly DateTimeOffset Epoch = DateTimeOffset.UnixEpoch;

    /// <param name="files">absolute paths of files under <paramref name="root"/></param>
    public static void Write(string root, IEnumerable<string> files, string tarPath)
    {
        root = Path.GetFullPath(root);
        string temp = tarPath + ".tmp";
        using (var output = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        using (var writer = new TarWriter(output, TarEntryFormat.Gnu, leaveOpen: false))
        {
            foreach (string relative in files.Select(f => Path.GetRelativePath(root, Path.GetFullPath(f)).Replace('\\', '/'))
                         .Distinct().OrderBy(p => p, StringComparer.Ordinal))
            {
                if (relative.StartsWith("../", StringComparison.Ordinal)) throw new ArgumentException($"{relative} is not under {root}");
                using var content = File.OpenRead(Path.Combine(root, relative));
                var entry = new GnuTarEntry(TarEntryType.RegularFile, relative)
                {
                    DataStream = content,
                    ModificationTime = Epoch,
                    AccessTime = Epoch,
                    ChangeTime = Epoch,
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                    Uid = 0,
                    Gid = 0,
                };
                writer.WriteEntry(entry);
            }
        }
        File.Move(temp, tarPath, overwrite: true);
    }

    /// <summary>Unpacks an archive into a new folder (entries that would land outside it are refused by the tar reader).</summary>
    public static void Extract(string tarPath, string folder)
    {
        string temp = folder + ".tmp";
        if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        Directory.CreateDirectory(temp);
        TarFile.ExtractToDirectory(tarPath, temp, overwriteFiles: false);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.Move(temp, folder);
    }
}
