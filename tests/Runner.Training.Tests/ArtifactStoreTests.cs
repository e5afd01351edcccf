using Runner.Training.Engine;

namespace Runner.Training.Tests;

public class ArtifactStoreTests
{
    [Fact]
    public void A_file_damaged_after_it_was_verified_is_still_found_damaged()
    {
        string path = Path.Combine(ScratchFolders.New("artifact-intact"), "entry.dat");
        DerivedFiles.WriteAtomically(path, temp => File.WriteAllBytes(temp, Enumerable.Range(0, 4096).Select(i => (byte)i).ToArray()));
        Assert.True(DerivedFiles.IsIntact(path));
        Assert.True(DerivedFiles.IsIntact(path));   // the second check is the remembered one

        var bytes = File.ReadAllBytes(path);
        bytes[100] ^= 0x01;                           // same size, one bit
        File.WriteAllBytes(path, bytes);
        File.SetLastWriteTimeUtc(path, File.GetLastWriteTimeUtc(path).AddSeconds(1));
        Assert.False(DerivedFiles.IsIntact(path));

        File.Delete(path + ".sha256");
        Assert.False(DerivedFiles.IsIntact(path));
    }
}
