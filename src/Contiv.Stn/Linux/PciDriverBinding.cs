using Microsoft.Extensions.Logging;

namespace Contiv.Stn.Linux;

/// <summary>
/// Moves a PCI NIC between its kernel driver and <c>vfio-pci</c> through sysfs (driver_override,
/// unbind, bind). Only devices with a PCI address are touched; veths and other virtual links have none.
/// </summary>
internal sealed class PciDriverBinding(ILogger log, string sysfsRoot = "/sys/bus/pci")
{
    /// <summary>The driver a user-space data plane takes a PCI NIC with.</summary>
    public const string UserSpaceDriver = "vfio-pci";

    /// <summary>Binds the device to vfio-pci; failures are logged and ignored (SPEC §1.8: an AF_PACKET data plane does not need it).</summary>
    public void BindToUserSpace(string pciAddress)
    {
        if (pciAddress.Length == 0)
        {
            return;
        }

        try
        {
            Rebind(pciAddress, UserSpaceDriver);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.LogInformation("PCI device {Pci} not bound to {Driver}: {Error}", pciAddress, UserSpaceDriver, e.Message);
        }
    }

    /// <summary>Binds the device back to <paramref name="driver"/> when it is bound to another one.</summary>
    /// <exception cref="IOException">sysfs refused the unbind or bind (names the device and the driver).</exception>
    public void BindBack(string pciAddress, string driver)
    {
        if (pciAddress.Length == 0 || driver.Length == 0 || CurrentDriver(pciAddress) == driver)
        {
            return;
        }

        Rebind(pciAddress, driver);
    }

    private string? CurrentDriver(string pciAddress)
    {
        var link = new DirectoryInfo(Path.Combine(sysfsRoot, "devices", pciAddress, "driver"));
        return link.Exists ? Path.GetFileName(link.ResolveLinkTarget(returnFinalTarget: true)?.FullName) : null;
    }

    private void Rebind(string pciAddress, string driver)
    {
        var device = Path.Combine(sysfsRoot, "devices", pciAddress);
        if (!Directory.Exists(device))
        {
            throw new IOException($"PCI device {pciAddress} does not exist ({device})");
        }

        try
        {
            File.WriteAllText(Path.Combine(device, "driver_override"), driver);
            if (CurrentDriver(pciAddress) is not null)
            {
                File.WriteAllText(Path.Combine(device, "driver", "unbind"), pciAddress);
            }

            File.WriteAllText(Path.Combine(sysfsRoot, "drivers", driver, "bind"), pciAddress);
        }
        catch (IOException e)
        {
            throw new IOException($"PCI device {pciAddress}: binding to {driver} failed: {e.Message}", e);
        }
        finally
        {
            // An empty override lets the next probe pick the driver by device id again.
            try
            {
                File.WriteAllText(Path.Combine(device, "driver_override"), "\n");
            }
            catch (IOException)
            {
                // the bind result above is what matters; a stale override only affects a later probe
            }
        }
    }
}
