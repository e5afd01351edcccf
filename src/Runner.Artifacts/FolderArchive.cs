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

    /// <summary>
    /// Unpacks an archive into a new folder. Only what <see cref="Write"/> makes is accepted: regular files at
    /// relative paths inside the folder. An archive someone else made with a link, a device, an absolute path or a
    /// path with <c>..</c> is refused as a whole (<see cref="InvalidDataException"/>), and nothing of it is left.
    /// </summary>
    public static void Extract(string tarPath, string folder)
    {
        string temp = Path.GetFullPath(folder + ".tmp");
        if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        Directory.CreateDirectory(temp);
        try
        {
            using var reader = new TarReader(File.OpenRead(tarPath));
            while (reader.GetNextEntry() is { } entry)
            {
                string name = entry.Name;
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                    throw new InvalidDataException($"the archive holds '{name}', a {entry.EntryType}: only regular files are accepted");
                if (name.Length == 0 || Path.IsPathRooted(name) || name.Split('/', '\\').Any(part => part is ".." or ""))
                    throw new InvalidDataException($"the archive holds '{name}': only relative paths inside the folder are accepted");
                string target = Path.GetFullPath(Path.Combine(temp, name));
                if (!target.StartsWith(temp + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                    throw new InvalidDataException($"the archive holds '{name}', which would land outside its folder");
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                entry.ExtractToFile(target, overwrite: false);
            }
        }
        catch
        {
            Directory.Delete(temp, recursive: true);
            throw;
        }
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.Move(temp, folder);
    }
}
