#nullable enable
// Rewrites one libstdc++ version requirement in an ELF shared library so that it loads on systems whose libstdc++
// is older than the one it was linked against.
//
// Why: TorchSharp 0.107.0's libLibTorchSharp.so asks for GLIBCXX_3.4.32 for a single symbol,
// std::ios_base_library_init(), a GCC 13 marker whose work older libstdc++ does in its own initialiser. Debian 12 and
// Ubuntu 22.04 stop at GLIBCXX_3.4.30, so the loader refuses the library and TorchSharp reports a misleading
// "doesn't contain a reference to libtorch-cpu-linux-x64". Renaming that version-needed entry (its name string and
// its ELF hash, both in place, same length) to GLIBCXX_3.4.30 lets the library load; the marker symbol is never
// called, so lazy binding never has to resolve it.
//
// This file is compiled twice: by MSBuild's RoslynCodeTaskFactory (build/TorchSharpNativeFix.targets) and by the
// training tests, which run it on a copy of the real library. Keep it free of anything but the BCL.
using System;
using System.IO;
using System.Text;
#if !LIBSTDCXX_PATCH_ONLY
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
#endif

public static class LibStdCxxVersionPatch
{
    const uint ShtGnuVerneed = 0x6ffffffe;

    /// <summary>True when the file contains the byte string (used to ask a libstdc++ which versions it defines).</summary>
    public static bool FileContains(string path, string text)
    {
        byte[] needle = Encoding.ASCII.GetBytes(text);
        byte[] data = File.ReadAllBytes(path);
        return IndexOf(data, needle, 0) >= 0;
    }

    /// <summary>The system libstdc++ the dynamic loader would pick, or null when none is at a usual place.</summary>
    public static string? FindSystemLibStdCxx()
    {
        string[] candidates =
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/lib/aarch64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
        };
        foreach (string c in candidates)
            if (File.Exists(c)) return c;
        return null;
    }

    /// <summary>
    /// Renames every version-needed entry called <paramref name="from"/> to <paramref name="to"/> (same length).
    /// Returns the number of entries changed: 0 means the file already had none (idempotent).
    /// </summary>
    public static int Patch(string path, string from, string to)
    {
        if (from.Length != to.Length) throw new ArgumentException("version names must have the same length");
        byte[] elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException($"{path}: not an ELF file");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException($"{path}: only 64-bit little-endian ELF files are supported");

        long shoff = (long)BitConverter.ToUInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A);
        int shnum = BitConverter.ToUInt16(elf, 0x3C);
        int changed = 0;
        for (int i = 0; i < shnum; i++)
        {
            long sh = shoff + (long)i * shentsize;
            if (BitConverter.ToUInt32(elf, (int)sh + 4) != ShtGnuVerneed) continue;
            long offset = (long)BitConverter.ToUInt64(elf, (int)sh + 0x18);
            int link = (int)BitConverter.ToUInt32(elf, (int)sh + 0x28);
            int count = (int)BitConverter.ToUInt32(elf, (int)sh + 0x2C);
            long strtab = (long)BitConverter.ToUInt64(elf, (int)(shoff + (long)link * shentsize) + 0x18);

            long need = offset;
            for (int n = 0; n < count; n++)
            {
                int auxCount = BitConverter.ToUInt16(elf, (int)need + 2);
                long aux = need + BitConverter.ToUInt32(elf, (int)need + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    long name = strtab + BitConverter.ToUInt32(elf, (int)aux + 8);
                    if (ReadCString(elf, name) == from)
                    {
                        Encoding.ASCII.GetBytes(to).CopyTo(elf, name);
                        BitConverter.GetBytes(ElfHash(to)).CopyTo(elf, aux);
                        changed++;
                    }
                    uint nextAux = BitConverter.ToUInt32(elf, (int)aux + 12);
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                uint next = BitConverter.ToUInt32(elf, (int)need + 12);
                if (next == 0) break;
                need += next;
            }
        }
        if (changed > 0)
        {
            // Write beside and rename so that a crash never leaves a half-written library behind.
            string tmp = path + ".patching";
            File.WriteAllBytes(tmp, elf);
            File.Replace(tmp, path, null);
        }
        return changed;
    }

    /// <summary>The System V ELF hash, as stored in vna_hash.</summary>
    public static uint ElfHash(string name)
    {
        uint h = 0;
        foreach (char c in name)
        {
            h = (h << 4) + (byte)c;
            uint g = h & 0xf0000000;
            if (g != 0) h ^= g >> 24;
            h &= ~g;
        }
        return h;
    }

    static string ReadCString(byte[] data, long start)
    {
        long end = start;
        while (end < data.Length && data[end] != 0) end++;
        return Encoding.ASCII.GetString(data, (int)start, (int)(end - start));
    }

    static int IndexOf(byte[] data, byte[] needle, int from)
    {
        for (int i = from; i <= data.Length - needle.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && data[i + j] == needle[j]) j++;
            if (j == needle.Length) return i;
        }
        return -1;
    }
}

#if !LIBSTDCXX_PATCH_ONLY
// The MSBuild task (tests compile this file with LIBSTDCXX_PATCH_ONLY and call the patch directly).

public class PatchLibTorchSharpGlibcxx : Microsoft.Build.Utilities.Task
{
    [Required] public string Folder { get; set; } = "";

    public override bool Execute()
    {
        if (!System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Linux) || !Directory.Exists(Folder)) return true;
        string? libstdcxx = LibStdCxxVersionPatch.FindSystemLibStdCxx();
        if (libstdcxx == null || LibStdCxxVersionPatch.FileContains(libstdcxx, "GLIBCXX_3.4.32")) return true;
        foreach (string lib in Directory.GetFiles(Folder, "libLibTorchSharp.so", SearchOption.AllDirectories))
        {
            int n = LibStdCxxVersionPatch.Patch(lib, "GLIBCXX_3.4.32", "GLIBCXX_3.4.30");
            if (n > 0)
                Log.LogMessage(MessageImportance.High,
                    $"TorchSharp fix: {lib} now asks for GLIBCXX_3.4.30 instead of 3.4.32 ({libstdcxx} lacks 3.4.32).");
        }
        return true;
    }
}
#endif
