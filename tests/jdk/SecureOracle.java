// The JDK oracle for flowrun's secure-properties cipher (see tests/all/secure_jdk.rs).
//
// It runs javax.crypto exactly the way Mule's JCEEncrypter does: transformation
// "<ALG>/<MODE>/PKCS5Padding", SecretKeySpec over the raw key bytes, no IV for ECB,
// otherwise the first block of the key bytes as the IV, or a random IV written in
// front of the ciphertext.
//
// Input, one request per line on stdin (hex fields use "-" for empty):
//   ENC <ALG> <MODE> <KEY_HEX> <RANDOMIV 0|1> <PLAINTEXT_HEX> [IV_HEX]
//   DEC <ALG> <MODE> <KEY_HEX> <RANDOMIV 0|1> <CIPHERTEXT_BASE64 or ->
//   FILE <ALG> <MODE> <KEY_HEX> <RANDOMIV 0|1> <IN> <OUT>
//   FILELEVEL <ALG> <MODE> <KEY_HEX> <RANDOMIV 0|1> <IN> <OUT>
//   DECFILELEVEL <ALG> <MODE> <KEY_HEX> <RANDOMIV 0|1> <IN>
// ENC with RANDOMIV 1 and an IV_HEX uses that IV instead of a random one, so the
// output is reproducible. FILE writes a secure properties file the way MuleSoft's tool
// does in its `file` mode for `key: "value"` (.yaml) and `key=value` (.properties) lines:
// each value's UTF-8 bytes encrypted, written as "![Base64]" (quoted in YAML); other lines
// and empty unquoted values are copied. FILELEVEL encrypts the whole file into one Base64 line with no newline, as
// the tool's `file-level` mode; DECFILELEVEL reads such a file back. Output, one line per
// request:
//   OK <Base64 ciphertext>  (ENC)     OK <plaintext hex>  (DEC, DECFILELEVEL)
//   OK  (FILE, FILELEVEL)             ERR <exception message>

import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

public final class SecureOracle {
    private static final SecureRandom RANDOM = new SecureRandom();

    public static void main(String[] args) throws IOException {
        BufferedReader in =
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        PrintStream out = new PrintStream(new BufferedOutputStream(System.out), false, "US-ASCII");
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) {
                continue;
            }
            try {
                String answer = handle(line.split(" "));
                out.println(answer == null ? "OK" : "OK " + answer);
            } catch (Exception e) {
                out.println("ERR " + e.getMessage());
            }
        }
        out.flush();
    }

    private static String handle(String[] fields) throws Exception {
        switch (fields[0]) {
            case "FILE":
                return encryptFile(fields);
            case "FILELEVEL": {
                byte[] plain = Files.readAllBytes(Path.of(fields[5]));
                byte[] sealed = run(true, fields[1], fields[2], hex(fields[3]), fields[4].equals("1"), plain, null);
                Files.write(Path.of(fields[6]), Base64.getEncoder().encode(sealed));
                return null;
            }
            case "DECFILELEVEL": {
                byte[] sealed = Base64.getDecoder().decode(Files.readAllBytes(Path.of(fields[5])));
                return format(false, run(false, fields[1], fields[2], hex(fields[3]), fields[4].equals("1"), sealed, null));
            }
            default:
                break;
        }
        boolean encrypt = fields[0].equals("ENC");
        byte[] input = encrypt ? hex(fields[5]) : base64(fields[5]);
        byte[] fixedIv = encrypt && fields.length > 6 ? hex(fields[6]) : null;
        byte[] output = run(encrypt, fields[1], fields[2], hex(fields[3]), fields[4].equals("1"), input, fixedIv);
        return format(encrypt, output);
    }

    /** The tool's `file` mode for simple lines: every value encrypted, other lines copied. */
    private static String encryptFile(String[] fields) throws Exception {
        boolean yaml = fields[5].endsWith(".yaml");
        String separator = yaml ? ":" : "=";
        StringBuilder out = new StringBuilder();
        for (String line : Files.readAllLines(Path.of(fields[5]), StandardCharsets.UTF_8)) {
            int at = line.indexOf(separator);
            if (at < 0 || line.startsWith("#")) {
                out.append(line).append('\n');
                continue;
            }
            String value = line.substring(at + 1).trim();
            if (value.isEmpty()) {
                // The tool leaves `key=` alone; Mule then reads it as a plain, empty value.
                out.append(line).append('\n');
                continue;
            }
            if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                value = value.substring(1, value.length() - 1);
            }
            byte[] sealed = run(true, fields[1], fields[2], hex(fields[3]), fields[4].equals("1"),
                value.getBytes(StandardCharsets.UTF_8), null);
            String wrapped = "![" + Base64.getEncoder().encodeToString(sealed) + "]";
            String key = line.substring(0, at).trim();
            out.append(key).append(yaml ? ": \"" + wrapped + "\"" : "=" + wrapped).append('\n');
        }
        Files.write(Path.of(fields[6]), out.toString().getBytes(StandardCharsets.UTF_8));
        return null;
    }

    /** One JCEEncrypter run; a non-null fixedIv replaces the random IV. */
    private static byte[] run(boolean encrypt, String algorithm, String mode, byte[] key,
            boolean randomIv, byte[] input, byte[] fixedIv) throws Exception {
        Cipher cipher = Cipher.getInstance(algorithm + "/" + mode + "/PKCS5Padding");
        SecretKeySpec keySpec = new SecretKeySpec(key, algorithm);
        int opmode = encrypt ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE;

        if (mode.equals("ECB")) {
            cipher.init(opmode, keySpec);
            return cipher.doFinal(input);
        }
        int blockSize = cipher.getBlockSize();
        if (!randomIv) {
            cipher.init(opmode, keySpec, new IvParameterSpec(Arrays.copyOfRange(key, 0, blockSize)));
            return cipher.doFinal(input);
        }
        if (encrypt) {
            byte[] iv = fixedIv != null ? fixedIv : new byte[blockSize];
            if (fixedIv == null) {
                RANDOM.nextBytes(iv);
            }
            cipher.init(opmode, keySpec, new IvParameterSpec(iv));
            byte[] ciphertext = cipher.doFinal(input);
            byte[] output = Arrays.copyOf(iv, iv.length + ciphertext.length);
            System.arraycopy(ciphertext, 0, output, iv.length, ciphertext.length);
            return output;
        }
        byte[] iv = Arrays.copyOfRange(input, 0, blockSize);
        cipher.init(opmode, keySpec, new IvParameterSpec(iv));
        return cipher.doFinal(Arrays.copyOfRange(input, blockSize, input.length));
    }

    private static String format(boolean encrypt, byte[] bytes) {
        if (encrypt) {
            return Base64.getEncoder().encodeToString(bytes);
        }
        StringBuilder text = new StringBuilder();
        for (byte b : bytes) {
            text.append(String.format("%02x", b & 0xff));
        }
        return text.toString();
    }

    private static byte[] base64(String text) {
        return text.equals("-") ? new byte[0] : Base64.getDecoder().decode(text);
    }

    private static byte[] hex(String text) {
        if (text.equals("-")) {
            return new byte[0];
        }
        byte[] bytes = new byte[text.length() / 2];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) Integer.parseInt(text.substring(2 * i, 2 * i + 2), 16);
        }
        return bytes;
    }
}
