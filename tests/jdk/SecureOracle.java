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
// ENC with RANDOMIV 1 and an IV_HEX uses that IV instead of a random one, so the
// output is reproducible. Output, one line per request:
//   OK <Base64 ciphertext>  (ENC)     OK <plaintext hex>  (DEC)     ERR <exception message>

import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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
                out.println("OK " + handle(line.split(" ")));
            } catch (Exception e) {
                out.println("ERR " + e.getMessage());
            }
        }
        out.flush();
    }

    private static String handle(String[] fields) throws Exception {
        boolean encrypt = fields[0].equals("ENC");
        String algorithm = fields[1];
        String mode = fields[2];
        byte[] key = hex(fields[3]);
        boolean randomIv = fields[4].equals("1");

        Cipher cipher = Cipher.getInstance(algorithm + "/" + mode + "/PKCS5Padding");
        SecretKeySpec keySpec = new SecretKeySpec(key, algorithm);
        int opmode = encrypt ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE;
        byte[] input = encrypt ? hex(fields[5]) : base64(fields[5]);

        if (mode.equals("ECB")) {
            cipher.init(opmode, keySpec);
            return format(encrypt, cipher.doFinal(input));
        }
        int blockSize = cipher.getBlockSize();
        if (!randomIv) {
            cipher.init(opmode, keySpec, new IvParameterSpec(Arrays.copyOfRange(key, 0, blockSize)));
            return format(encrypt, cipher.doFinal(input));
        }
        if (encrypt) {
            byte[] iv = fields.length > 6 ? hex(fields[6]) : new byte[blockSize];
            if (fields.length <= 6) {
                RANDOM.nextBytes(iv);
            }
            cipher.init(opmode, keySpec, new IvParameterSpec(iv));
            byte[] ciphertext = cipher.doFinal(input);
            byte[] output = Arrays.copyOf(iv, iv.length + ciphertext.length);
            System.arraycopy(ciphertext, 0, output, iv.length, ciphertext.length);
            return format(true, output);
        }
        byte[] iv = Arrays.copyOfRange(input, 0, blockSize);
        cipher.init(opmode, keySpec, new IvParameterSpec(iv));
        return format(false, cipher.doFinal(Arrays.copyOfRange(input, blockSize, input.length)));
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
